import { randomUUID } from 'node:crypto';
import { JournalwireError } from '#errors';
import type { KafkaGateway } from './kafka-gateway.js';
import type { IncomingRecord } from './records.js';
import { incomingRecord } from './topic-reader.js';

export interface RecordPosition {
  topic: string;
  partition: number;
  offset: string;
}

/**
 * Reads the one committed record at a position (read-committed), or null when the topic no
 * longer holds it (retention) or never did (an aborted transaction's record, an offset past the
 * end). Joins a throw-away consumer group for the read, so it takes a few seconds: for operator
 * actions such as a replay, not for the data path.
 */
export async function readRecordAt(
  kafka: KafkaGateway,
  position: RecordPosition,
  timeoutMs = 30_000,
): Promise<IncomingRecord | null> {
  const wanted = BigInt(position.offset);
  const offsets = await kafka.withAdmin((admin) => admin.fetchTopicOffsets(position.topic));
  const bounds = offsets.find((p) => p.partition === position.partition);
  if (!bounds || wanted < BigInt(bounds.low) || wanted >= BigInt(bounds.high)) return null;

  const groupId = `journalwire-reader-${randomUUID()}`;
  const consumer = kafka.createConsumer(groupId, { readCommitted: true });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [position.topic], fromBeginning: false });
    return await new Promise<IncomingRecord | null>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new JournalwireError(
              'kafka-unavailable',
              `Kafka did not return ${position.topic} partition ${position.partition} offset ${position.offset} within ${timeoutMs} ms`,
              { retryable: true },
            ),
          ),
        timeoutMs,
      );
      const done = (record: IncomingRecord | null) => {
        clearTimeout(timer);
        resolve(record);
      };
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            if (batch.partition !== position.partition) return;
            for (const message of batch.messages) {
              const offset = BigInt(message.offset);
              if (offset < wanted) continue;
              if (offset > wanted) return done(null);
              return done(incomingRecord(batch, message));
            }
            // Only transaction markers or aborted records up to the end of what was fetched.
            if (BigInt(batch.lastOffset()) >= wanted) done(null);
          },
        })
        .catch((error: unknown) => {
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
        });
      consumer.seek({ topic: position.topic, partition: position.partition, offset: position.offset });
    });
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await kafka.withAdmin((admin) => admin.deleteGroups([groupId])).catch(() => undefined);
  }
}
