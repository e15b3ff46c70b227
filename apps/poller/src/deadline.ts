import { JournalwireError, withDeadline as waitAtMost } from '#errors';

/**
 * Waits for `promise` at most `timeoutMs` (rejecting with `onTimeout()`) and only while `signal`
 * has not fired (rejecting as abandoned): the shared withDeadline (libs/errors) with the poller's
 * "abandoned" error. The operation itself may still complete later.
 */
export function withDeadline<T>(
  promise: Promise<T>,
  timeoutMs: number,
  onTimeout: () => Error,
  signal?: AbortSignal,
): Promise<T> {
  return waitAtMost(promise, timeoutMs, onTimeout, signal ? { signal, onAbort: abandoned } : undefined);
}

function abandoned(signal: AbortSignal): JournalwireError {
  const reason = signal.reason instanceof Error ? signal.reason.message : 'the poller is shutting down';
  return new JournalwireError('internal', `Abandoned: ${reason}`, { retryable: true, details: { abandoned: true } });
}
