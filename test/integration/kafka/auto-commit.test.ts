import { randomUUID } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaGateway, type GroupConsumer, type PartitionOffset } from '#kafka';
import { createLogger } from '#logger';
import { SCRATCH_TOPICS, testKafka, waitFor } from '#test-support';

const logger = createLogger({ service: 'auto-commit-test', level: 'fatal' });
const TOPIC = SCRATCH_TOPICS.autoCommit;
/** The Kafka client announces each OffsetCommit it sends on this diagnostics channel. */
const COMMITS_CHANNEL = 'tracing:plt:kafka:consumer:commits:start';

// A group member that auto-commits gathers every partition's progress into one OffsetCommit (at
// most once a second) and commits what is left when it stops: all partitions are committed, none
// is lost to the client merging concurrent commits into one.
describe('group member auto-commit', () => {
  const kafka = new KafkaGateway(testKafka('auto-commit-test'), logger);
  let consumer: GroupConsumer | undefined;
  /** Partitions of each OffsetCommit sent for the test's topic. */
  const commits: number[][] = [];
  const onCommit = (context: unknown) => {
    const offsets = (context as { options?: { offsets?: Array<{ topic: string; partition: number }> } }).options
      ?.offsets;
    const ours = (offsets ?? []).filter((o) => o.topic === TOPIC);
    if (ours.length > 0) commits.push(ours.map((o) => o.partition).sort());
  };
  subscribe(COMMITS_CHANNEL, onCommit);
  afterAll(async () => {
    unsubscribe(COMMITS_CHANNEL, onCommit);
    await consumer?.stop();
    await kafka.closeAdmin();
  });

  async function produce(run: string, count: number): Promise<Map<number, bigint>> {
    const producer = await kafka.createProducer();
    try {
      await producer.send(
        Array.from({ length: count }, (_, i) => ({ topic: TOPIC, key: `${run}:${i}`, value: Buffer.from(run) })),
      );
    } finally {
      await producer.disconnect();
    }
    return new Map((await kafka.topicOffsets(TOPIC)).map(({ partition, high }) => [partition, BigInt(high)]));
  }

  const committedAt = async (groupId: string): Promise<Map<number, bigint>> =>
    new Map(
      (await kafka.committedOffsets(groupId, [TOPIC])).map(({ partition, offset }: PartitionOffset) => [
        partition,
        BigInt(offset),
      ]),
    );

  it('commits every partition it handled, in the background and on stop', async () => {
    await kafka.ensureTopics([{ name: TOPIC, partitions: 3, config: {} }]);
    const run = randomUUID();
    const groupId = `auto-commit-test-${run}`;
    let ends = await produce(run, 30);
    const seen = new Map<number, bigint>();
    consumer = kafka.createGroupConsumer({
      groupId,
      topics: [TOPIC],
      autoCommit: true,
      concurrentPartitions: 3,
      eachBatch: async (batch) => {
        const last = batch.records.at(-1);
        if (last) seen.set(batch.partition, BigInt(last.offset) + 1n);
      },
    });
    await consumer.start();
    const handled = (until: Map<number, bigint>) => [...until].every(([p, end]) => (seen.get(p) ?? 0n) >= end);
    expect(await waitFor('every partition handled', () => handled(ends), { timeoutMs: 30_000 })).toBe(true);
    // In the background: the partitions' positions gathered (a request per batch made three here).
    expect(
      await waitFor('every partition committed', async () => equal(await committedAt(groupId), ends), {
        timeoutMs: 10_000,
      }),
    ).toBe(true);
    expect(commits.length).toBeLessThan(3);
    expect([...new Set(commits.flat())].sort()).toEqual([0, 1, 2]);

    ends = await produce(run, 30);
    expect(await waitFor('the new records handled', () => handled(ends), { timeoutMs: 30_000 })).toBe(true);
    await consumer.stop();
    consumer = undefined;
    // On stop, without waiting for the next background commit.
    expect(await committedAt(groupId)).toEqual(ends);
  }, 90_000);
});

function equal(a: Map<number, bigint>, b: Map<number, bigint>): boolean {
  return a.size === b.size && [...a].every(([key, value]) => b.get(key) === value);
}
