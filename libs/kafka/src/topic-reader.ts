import { randomUUID } from 'node:crypto';
import type { IncomingRecord, KafkaGateway } from './kafka-gateway.js';

/**
 * Reads topics from the beginning up to their current end (read-committed) and resolves.
 * Transaction markers never reach a consumer, so "the end" is the high watermark reached or,
 * failing that, no new record for `idleMs`.
 */
export async function readTopicsToEnd(kafka: KafkaGateway, topics: string[], onRecord: (record: IncomingRecord) => void, options: { idleMs?: number } = {}): Promise<void> {
  const admin = kafka.kafka.admin();
  await admin.connect();
  const targets = new Map<string, bigint>();
  try {
    for (const topic of topics) {
      for (const { partition, high } of await admin.fetchTopicOffsets(topic)) {
        if (BigInt(high) > 0n) targets.set(`${topic}/${partition}`, BigInt(high));
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
            for (const message of batch.messages) {
              onRecord({ topic: batch.topic, partition: batch.partition, offset: message.offset, key: message.key, value: message.value, headers: message.headers ?? {}, timestamp: message.timestamp });
            }
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
    });
  } finally {
    await consumer.disconnect();
    const admin2 = kafka.kafka.admin();
    await admin2.connect();
    await admin2.deleteGroups([groupId]).catch(() => undefined);
    await admin2.disconnect();
  }
}
