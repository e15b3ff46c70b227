import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaGateway, readTopicsToEnd, TransactionalProcessor, type IncomingRecord } from '#kafka';
import { createLogger } from '#logger';
import { testKafka, waitFor } from '#test-support';
import type { StallingProcessorData, StallingProcessorReport } from '../../support/stalling-processor.js';

const logger = createLogger({ service: 'fencing-test', level: 'fatal' });
const INPUTS = 20;

// KIP-447 at processor level: instance A stalls in the middle of a chunk with its event loop
// blocked (a worker thread in Atomics.wait, so its consumer sends no heartbeat) until its session
// expires; instance B, sharing its group, is given the partition and commits the same records.
// When A wakes and commits the chunk, the coordinator refuses its transactional offset commit
// (the generation it fetched under is gone), its outputs are aborted, and a read-committed reader
// sees each input's output exactly once, from B. Runs the compiled test support (npm run build).
describe('TransactionalProcessor fencing', () => {
  const kafka = new KafkaGateway(testKafka('fencing-test'), logger);
  const run = randomUUID().slice(0, 8);
  const input = `journalwire.test.fencing-in-${run}`;
  const output = `journalwire.test.fencing-out-${run}`;
  const cleanup: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
    await kafka.deleteTopics([input, output]).catch(() => undefined);
    await kafka.closeAdmin();
  });

  it('refuses the outputs and offsets of an instance that stalled past its session, with no duplicate', async () => {
    await kafka.ensureTopics([
      { name: input, partitions: 1, config: {} },
      { name: output, partitions: 1, config: {} },
    ]);
    const producer = await kafka.createProducer();
    await producer.send(
      Array.from({ length: INPUTS }, (_, i) => ({ topic: input, key: `k${i}`, value: Buffer.from(`input-${i}`) })),
    );
    await producer.disconnect();
    const groupId = `fencing-test-${run}`;

    const wake = new SharedArrayBuffer(4);
    const reports: StallingProcessorReport[] = [];
    const workerData: StallingProcessorData = {
      kafka: testKafka('fencing-test-a'),
      groupId,
      transactionalId: `fencing-test-${run}-a`,
      input,
      output,
      wake,
    };
    const a = new Worker(resolve('dist/test/support/stalling-processor.js'), {
      workerData,
      // The compiled code, not the test runner's `source` condition.
      execArgv: [],
    });
    a.on('message', (report: StallingProcessorReport) => reports.push(report));
    cleanup.push(async () => {
      a.postMessage('stop');
      await new Promise((r) => setTimeout(r, 3000));
      await a.terminate();
    });
    cleanup.push(async () => {
      // Never leave the worker blocked.
      Atomics.store(new Int32Array(wake), 0, 1);
      Atomics.notify(new Int32Array(wake), 0);
    });

    await waitFor('A stalling mid-chunk', () => reports.some((r) => r.event === 'stalled'), { timeoutMs: 30_000 });
    const stalledOn = reports.find((r) => r.event === 'stalled') as { offsets: string[] };
    expect(stalledOn.offsets.length).toBeGreaterThan(0);

    const committedByB = new Set<string>();
    const b = new TransactionalProcessor(kafka, logger, {
      groupId,
      topics: [input],
      transactionalId: `fencing-test-${run}-b`,
      chunkSize: 100,
      fromBeginning: true,
      handleChunk: async (records: IncomingRecord[]) =>
        records.map((record) => ({
          outputs: [
            {
              topic: output,
              key: `${record.partition}:${record.offset}`,
              value: Buffer.from(`B:${record.value?.toString('utf8') ?? ''}`),
            },
          ],
        })),
      onError: async () => [],
      onCommitted: (records) => records.forEach((record) => committedByB.add(record.offset)),
    });
    b.start();
    cleanup.push(() => b.stop());
    // A's session (15 s) expires; the rebalance gives B the partition and B commits every input.
    await waitFor('B committing every input', () => committedByB.size === INPUTS, { timeoutMs: 45_000 });

    Atomics.store(new Int32Array(wake), 0, 1);
    Atomics.notify(new Int32Array(wake), 0);
    const refusal = () =>
      reports
        .filter((r): r is { event: 'log'; line: string } => r.event === 'log')
        .map((r) => JSON.parse(r.line) as { msg?: string; kafkaErrors?: string[] })
        .find((line) => line.msg === 'group rebalanced; batch left to refetch');
    await waitFor('A trying its chunk and being refused', () => refusal() !== undefined, { timeoutMs: 20_000 });
    expect(reports.some((r) => r.event === 'woke' && r.stalledMs >= 15_000)).toBe(true);
    expect(refusal()!.kafkaErrors?.some((e) => ['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION'].includes(e))).toBe(true);
    expect(reports.filter((r) => r.event === 'committed')).toEqual([]);

    const outputs = new Map<string, string[]>();
    await readTopicsToEnd(
      kafka,
      [output],
      (record) => {
        const key = record.key!.toString();
        outputs.set(key, [...(outputs.get(key) ?? []), record.value!.toString()]);
      },
      { idleMs: 1000 },
    );
    expect(outputs.size).toBe(INPUTS);
    for (let i = 0; i < INPUTS; i++) expect(outputs.get(`0:${i}`)).toEqual([`B:input-${i}`]);
    // The offsets' transaction marker may be written after the outputs' markers.
    await waitFor(
      `the committed offset ${INPUTS}`,
      async () => {
        const [committed] = await kafka.committedOffsets(groupId, [input]);
        return committed?.offset === String(INPUTS);
      },
      { timeoutMs: 10_000, everyMs: 100 },
    );
  }, 90_000);
});
