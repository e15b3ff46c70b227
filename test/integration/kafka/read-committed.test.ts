import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaGateway, type GroupConsumer } from '#kafka';
import { createLogger } from '#logger';
import { SCRATCH_TOPICS, testKafka } from '#test-support';

const logger = createLogger({ service: 'read-committed-test', level: 'fatal' });

// A read-committed group member must move past an aborted transaction, however large: a fetch
// holds at most 2 MiB of a partition, so a range of aborted batches larger than that comes back
// with no committed record and no abort marker in it. The consumer's position has to move anyway,
// or the partition stops (it did before the aborted batches were kept as empty ones).
describe('read-committed group member', () => {
  const kafka = new KafkaGateway(testKafka('read-committed-test'), logger);
  let consumer: GroupConsumer | undefined;
  afterAll(async () => {
    await consumer?.stop();
    await kafka.closeAdmin();
  });

  it('reads the committed records after an aborted transaction larger than a fetch', async () => {
    await kafka.ensureTopics([
      { name: SCRATCH_TOPICS.abortedRange, partitions: 1, config: { 'max.message.bytes': String(2 * 1024 * 1024) } },
    ]);
    const run = randomUUID();
    const producer = await kafka.createProducer({ transactionalId: `read-committed-test-${run}` });
    try {
      const aborted = await producer.transaction();
      // One batch per send: six batches of 600 KB, 3.6 MB aborted in all.
      for (let i = 0; i < 6; i++)
        await aborted.send([
          { topic: SCRATCH_TOPICS.abortedRange, key: run, value: Buffer.alloc(600 * 1024, 'a'.charCodeAt(0)) },
        ]);
      await aborted.abort();
      const committed = await producer.transaction();
      await committed.send(
        Array.from({ length: 5 }, (_, i) => ({
          topic: SCRATCH_TOPICS.abortedRange,
          key: run,
          value: Buffer.from(`${run}:${i}`),
        })),
      );
      await committed.commit();
    } finally {
      await producer.disconnect();
    }

    const seen: string[] = [];
    let done: () => void = () => undefined;
    const allSeen = new Promise<void>((resolve) => (done = resolve));
    consumer = kafka.createGroupConsumer({
      groupId: `read-committed-test-${run}`,
      topics: [SCRATCH_TOPICS.abortedRange],
      readCommitted: true,
      fromBeginning: true,
      eachBatch: async (batch) => {
        for (const record of batch.records) if (record.key?.toString() === run) seen.push(record.value!.toString());
        if (seen.length >= 5) done();
      },
    });
    await consumer.start();
    await Promise.race([allSeen, new Promise((resolve) => setTimeout(resolve, 30_000))]);
    expect(seen).toEqual(Array.from({ length: 5 }, (_, i) => `${run}:${i}`));
  }, 60_000);
});
