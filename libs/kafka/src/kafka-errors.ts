/**
 * The Kafka protocol error ids (`UNKNOWN_MEMBER_ID`, `CONCURRENT_TRANSACTIONS`…) in an error, its
 * causes and the errors it aggregates (the client reports retried requests as one MultipleErrors).
 */
export function kafkaErrorTypes(error: unknown): string[] {
  const types: string[] = [];
  const visit = (current: unknown, depth: number) => {
    if (depth > 6 || typeof current !== 'object' || current === null) return;
    const { apiId, cause, errors } = current as { apiId?: unknown; cause?: unknown; errors?: unknown };
    if (typeof apiId === 'string') types.push(apiId);
    visit(cause, depth + 1);
    if (Array.isArray(errors)) for (const nested of errors) visit(nested, depth + 1);
  };
  visit(error, 0);
  return types;
}

/** True when the client says a retry may succeed (a network failure, a leader moving, a broker starting). */
export function retriableKafkaError(error: unknown): boolean {
  const visit = (current: unknown, depth: number): boolean => {
    if (depth > 6 || typeof current !== 'object' || current === null) return false;
    const { canRetry, code, cause, errors } = current as {
      canRetry?: unknown;
      code?: unknown;
      cause?: unknown;
      errors?: unknown;
    };
    if (typeof code === 'string' && code.startsWith('PLT_KFK_') && canRetry === true) return true;
    if (code === 'PLT_KFK_TIMEOUT' || code === 'PLT_KFK_NETWORK') return true;
    return visit(cause, depth + 1) || (Array.isArray(errors) && errors.some((nested) => visit(nested, depth + 1)));
  };
  return visit(error, 0);
}
