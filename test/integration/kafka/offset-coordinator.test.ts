import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchedMessageOf, KafkaGateway, type GroupConsumer, type IncomingRecord } from '#kafka';
import { createLogger } from '#logger';
import { testKafka, waitFor } from '#test-support';

const logger = createLogger({ service: 'offset-coordinator-test', level: 'fatal' });

// After a broker restart the consumer forgets its group coordinator and finds it again on its next
// heartbeat; a fetch answered in between records no coordinator in its messages (and a coordinator
// that moved leaves the old one there). The client sends a record's transactional offset commit
// where its fetch said: before the fix, those records could never be committed, and the envelope
// stopped on its partition. The state is set on the fetched messages; the commit is real.
describe('transactional offset commit', () => {
  const kafka = new KafkaGateway(testKafka('offset-coordinator-test'), logger);
  const run = randomUUID().slice(0, 8);
  const input = `journalwire.test.offset-coordinator-in-${run}`;
  const output = `journalwire.test.offset-coordinator-out-${run}`;
  const consumers: GroupConsumer[] = [];
  afterAll(async () => {
    for (const consumer of consumers) await consumer.stop().catch(() => undefined);
    await kafka.deleteTopics([input, output]).catch(() => undefined);
    await kafka.closeAdmin();
  });

  beforeAll(async () => {
    await kafka.ensureTopics([
      { name: input, partitions: 1, config: {} },
      { name: output, partitions: 1, config: {} },
    ]);
    const plain = await kafka.createProducer();
    await plain.send(
      Array.from({ length: 3 }, (_, i) => ({ topic: input, key: `k${i}`, value: Buffer.from(`input-${i}`) })),
    );
    await plain.disconnect();
  });

  it.each([
    { fetchedCoordinator: null, when: 'the fetch recorded no coordinator' },
    { fetchedCoordinator: 999, when: 'the fetch recorded a coordinator that is gone' },
  ])(
    'commits the offset with the output when $when',
    async ({ fetchedCoordinator }) => {
      const groupId = `offset-coordinator-test-${run}-${String(fetchedCoordinator)}`;
      const producer = await kafka.createProducer({ transactionalId: groupId });
      let settle: (outcome: unknown) => void = () => undefined;
      const committed = new Promise<unknown>((resolve) => (settle = resolve));
      const consumer = kafka.createGroupConsumer({
        groupId,
        topics: [input],
        readCommitted: true,
        fromBeginning: true,
        eachBatch: async ({ records }) => {
          const last: IncomingRecord = records[records.length - 1]!;
          (fetchedMessageOf(last)!.message.metadata.consumer as Record<string, unknown>).coordinatorId =
            fetchedCoordinator;
          const transaction = await producer.transaction();
          try {
            await transaction.send([{ topic: output, key: 'out', value: Buffer.from(`after-${last.offset}`) }]);
            await transaction.sendOffsets([last]);
            await transaction.commit();
            settle('committed');
          } catch (error) {
            await transaction.abort().catch(() => undefined);
            settle(error);
          }
        },
      });
      consumers.push(consumer);
      try {
        await consumer.start();
        expect(await committed).toBe('committed');
        // EndTxn returns before the coordinator writes the transaction's markers; until then the
        // group's offset reads as the last stable one (none here).
        await waitFor(
          'the committed offset 3',
          async () => {
            const offsets = await kafka.committedOffsets(groupId, [input]);
            return offsets.find((o) => o.partition === 0)?.offset === '3';
          },
          { timeoutMs: 10_000, everyMs: 100 },
        );
      } finally {
        await producer.disconnect();
      }
    },
    60_000,
  );
});
