import { randomUUID } from 'node:crypto';
import type { GroupConsumer } from './group-consumer.js';
import type { KafkaGateway } from './kafka-gateway.js';
import type { IncomingRecord } from './records.js';

export interface ReadOptions {
  /** Resolve after this long without a new record even if an end was not reached. */
  idleMs?: number;
  /** Start at the first record written at or after this time instead of the beginning. */
  since?: Date;
}

/**
 * Reads topics from the beginning (or `since`) up to their current end (read-committed) and
 * resolves. The end is each partition's high watermark when the read started (reached also when
 * read-committed filtering leaves nothing to deliver) or, failing that, no new record for `idleMs`.
 */
export async function readTopicsToEnd(
  kafka: KafkaGateway,
  topics: string[],
  onRecord: (record: IncomingRecord) => void,
  options: ReadOptions = {},
): Promise<void> {
  const targets = new Map<string, bigint>();
  const starts: Array<{ topic: string; partition: number; offset: string }> = [];
  for (const topic of topics) {
    const from = options.since
      ? new Map(
          (await kafka.topicOffsetsAt(topic, options.since.getTime())).map((p) => [p.partition, BigInt(p.offset)]),
        )
      : undefined;
    for (const { partition, high, low } of await kafka.topicOffsets(topic)) {
      const since = from?.get(partition);
      // No record at or after `since`: nothing to read in this partition.
      const start = since === undefined ? BigInt(low) : since < 0n ? BigInt(high) : since;
      if (BigInt(high) <= start) continue;
      targets.set(`${topic}/${partition}`, BigInt(high));
      starts.push({ topic, partition, offset: start.toString() });
    }
  }
  if (targets.size === 0) return;

  const groupId = `journalwire-reader-${randomUUID()}`;
  let consumer: GroupConsumer | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const idleMs = options.idleMs ?? 3000;
      let idleTimer = setTimeout(resolve, Math.max(idleMs, 10_000));
      const remaining = new Set(targets.keys());
      const progressed = () => {
        clearTimeout(idleTimer);
        if (remaining.size === 0) return resolve();
        idleTimer = setTimeout(resolve, idleMs);
      };
      consumer = kafka.createGroupConsumer({
        groupId,
        topics,
        readCommitted: true,
        fromBeginning: true,
        onAssigned: (_assignment, seek) => {
          for (const start of starts) seek(start);
        },
        onBatchEnd: ({ topic, partition, offset }) => {
          const id = `${topic}/${partition}`;
          const target = targets.get(id);
          if (target !== undefined && BigInt(offset) >= target) remaining.delete(id);
          progressed();
        },
        onCrash: (error) => {
          clearTimeout(idleTimer);
          reject(error);
        },
        eachBatch: async ({ records }) => {
          for (const record of records) onRecord(record);
          progressed();
        },
      });
      consumer.start().catch((error: unknown) => {
        clearTimeout(idleTimer);
        reject(error instanceof Error ? error : new Error(String(error)));
      });
    });
  } finally {
    await consumer?.stop().catch(() => undefined);
    await kafka.deleteGroups([groupId]).catch(() => undefined);
  }
}
