import { randomUUID } from 'node:crypto';
import { JournalwireError } from '#errors';
import type { GroupConsumer } from './group-consumer.js';
import type { KafkaGateway } from './kafka-gateway.js';
import type { IncomingRecord } from './records.js';

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
  const offsets = await kafka.topicOffsets(position.topic);
  const bounds = offsets.find((p) => p.partition === position.partition);
  if (!bounds || wanted < BigInt(bounds.low) || wanted >= BigInt(bounds.high)) return null;

  const groupId = `journalwire-reader-${randomUUID()}`;
  let consumer: GroupConsumer | undefined;
  try {
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
      const failed = (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      };
      consumer = kafka.createGroupConsumer({
        groupId,
        topics: [position.topic],
        readCommitted: true,
        fromBeginning: false,
        onAssigned: (assignment, seek) => {
          if (assignment.some((p) => p.topic === position.topic && p.partition === position.partition)) seek(position);
        },
        // Only transaction markers or aborted records up to the end of what was fetched.
        onBatchEnd: ({ partition, offset }) => {
          if (partition === position.partition && BigInt(offset) > wanted) done(null);
        },
        onCrash: failed,
        eachBatch: async ({ partition, records }) => {
          if (partition !== position.partition) return;
          for (const record of records) {
            const offset = BigInt(record.offset);
            if (offset < wanted) continue;
            return done(offset > wanted ? null : record);
          }
        },
      });
      consumer.start().catch(failed);
    });
  } finally {
    await consumer?.stop().catch(() => undefined);
    await kafka.deleteGroups([groupId]).catch(() => undefined);
  }
}
