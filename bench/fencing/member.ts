import type { KafkaSettings } from '#kafka';

// What the fencing check asks of a Kafka client, the same for each client measured: a member of a
// consumer group that reads chunks of its input and commits each chunk's outputs with the input
// offsets in one transaction (consume-transform-produce).

export type ClientName = 'platformatic';

export const CLIENT_NAMES: readonly ClientName[] = ['platformatic'];

/** One input record as the bench needs it. */
export interface InputRecord {
  topic: string;
  partition: number;
  offset: string;
  value: Buffer;
}

export interface MemberOptions {
  /** Brokers, TLS and SASL (KAFKA_*, as every client of the project); plain data, so a worker thread gets it too. */
  settings: KafkaSettings;
  clientId: string;
  groupId: string;
  input: string;
  /** Stable per instance (as the services' processors use it), so two instances never share one. */
  transactionalId: string;
}

export interface TransactionalMember {
  /** The next records from the partitions assigned to this member, at most `max` (waits for some). */
  next(max: number): Promise<InputRecord[]>;
  /** Begins a transaction and sends `outputs` in it. */
  produce(
    outputs: Array<{ topic: string; key: string; value: Buffer; headers: Record<string, string> }>,
  ): Promise<void>;
  /**
   * Adds the offset after `last` to the transaction (with whatever group metadata the client sends)
   * and commits it. Throws what the broker or the client refused.
   */
  commit(last: InputRecord): Promise<void>;
  /** Aborts the open transaction, if any (best effort). */
  abort(): Promise<void>;
  close(): Promise<void>;
}

/** The outputs of a chunk: each input record copied to `output`, with its source in a header. */
export function outputsOf(
  records: InputRecord[],
  output: string,
): Array<{ topic: string; key: string; value: Buffer; headers: Record<string, string> }> {
  return records.map((record) => ({
    topic: output,
    key: `${record.partition}:${record.offset}`,
    value: record.value,
    headers: { 'src-offset': `${record.partition}:${record.offset}` },
  }));
}

/** The Kafka error names (`apiId`) in an error and its causes. */
export function kafkaErrorNames(error: unknown): string[] {
  const names: string[] = [];
  const seen = new Set<unknown>();
  const visit = (current: unknown, depth: number) => {
    if (depth > 6 || typeof current !== 'object' || current === null || seen.has(current)) return;
    seen.add(current);
    const { type, apiId, cause, originalError, errors } = current as {
      type?: unknown;
      apiId?: unknown;
      cause?: unknown;
      originalError?: unknown;
      errors?: unknown;
    };
    if (typeof type === 'string') names.push(type);
    if (typeof apiId === 'string') names.push(apiId);
    visit(originalError, depth + 1);
    visit(cause, depth + 1);
    if (Array.isArray(errors)) for (const inner of errors) visit(inner, depth + 1);
  };
  visit(error, 0);
  return [...new Set(names)];
}
