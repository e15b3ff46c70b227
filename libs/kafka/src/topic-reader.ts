import { randomUUID } from 'node:crypto';
import type { Batch, KafkaMessage } from 'kafkajs';
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
 * resolves. Transaction markers never reach a consumer, so "the end" is the high watermark
 * reached or, failing that, no new record for `idleMs`.
 */
export async function readTopicsToEnd(
  kafka: KafkaGateway,
  topics: string[],
  onRecord: (record: IncomingRecord) => void,
  options: ReadOptions = {},
): Promise<void> {
  const admin = kafka.kafka.admin();
  await admin.connect();
  const targets = new Map<string, bigint>();
  const starts: Array<{ topic: string; partition: number; offset: string }> = [];
  try {
    for (const topic of topics) {
      const from = options.since
        ? new Map(
            (await admin.fetchTopicOffsetsByTimestamp(topic, options.since.getTime())).map((p) => [
              p.partition,
              BigInt(p.offset),
            ]),
          )
        : undefined;
      for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) {
        const start = from?.get(partition) ?? BigInt(low);
        if (BigInt(high) <= start) continue;
        targets.set(`${topic}/${partition}`, BigInt(high));
        if (from) starts.push({ topic, partition, offset: start.toString() });
      }
    }
  } finally {
    await admin.disconnect();
  }
  if (targets.size === 0) return;

  const groupId = `journalwire-reader-${randomUUID()}`;
  const consumer = kafka.createConsumer(groupId, { readCommitted: true });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const idleMs = options.idleMs ?? 3000;
      let idleTimer = setTimeout(resolve, Math.max(idleMs, 10_000));
      const remaining = new Set(targets.keys());
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            for (const message of batch.messages) onRecord(incomingRecord(batch, message));
            const position = BigInt(batch.lastOffset()) + 1n;
            const id = `${batch.topic}/${batch.partition}`;
            const target = targets.get(id);
            // The last record may be a transaction marker, one offset past the last data record.
            if (target !== undefined && position >= target - 1n) remaining.delete(id);
            clearTimeout(idleTimer);
            if (remaining.size === 0) return resolve();
            idleTimer = setTimeout(resolve, idleMs);
          },
        })
        .catch(reject);
      for (const start of starts) consumer.seek(start);
    });
  } finally {
    await consumer.disconnect();
    const admin2 = kafka.kafka.admin();
    await admin2.connect();
    await admin2.deleteGroups([groupId]).catch(() => undefined);
    await admin2.disconnect();
  }
}

/** A fetched message as the gateway's IncomingRecord. */
export function incomingRecord(batch: Pick<Batch, 'topic' | 'partition'>, message: KafkaMessage): IncomingRecord {
  return {
    topic: batch.topic,
    partition: batch.partition,
    offset: message.offset,
    key: message.key,
    value: message.value,
    headers: message.headers ?? {},
    timestamp: message.timestamp,
  };
}
