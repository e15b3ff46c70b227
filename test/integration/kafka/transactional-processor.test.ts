import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { blobDirectoryCheck } from '#blob-store';
import { isJournalwireError, JournalwireError } from '#errors';
import {
  consumerLag,
  eachRecord,
  KafkaGateway,
  ProcessorState,
  readTopicsToEnd,
  TransactionalProcessor,
  type IncomingRecord,
  type OutgoingRecord,
} from '#kafka';
import { createLogger } from '#logger';
import { SCRATCH_TOPICS, testEnv, testKafka } from '#test-support';

const logger = createLogger({ service: 'processor-test', level: (process.env.PK_LEVEL ?? 'fatal') as 'fatal' });
const MAX_ATTEMPTS = 3;

// The processor on the real broker: outputs and offsets commit together; poison becomes a dead
// letter at once; a transient failure is retried; a failure that repeats (a handler error, the
// broker refusing an output as too large) is dead-lettered after bounded tries, and its
// neighbours on the partition still get their outputs.
describe('TransactionalProcessor', () => {
  const kafka = new KafkaGateway(testKafka('processor-test'), logger);
  const processors: TransactionalProcessor[] = [];
  afterAll(async () => {
    await Promise.all(processors.map((p) => p.stop()));
  });

  /** The output values keyed `run`, read every `pauseMs` until there are `count` or `timeoutMs` passed. */
  const readOutputs = async (run: string, count: number, timeoutMs: number, pauseMs = 1000): Promise<string[]> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await new Promise((r) => setTimeout(r, pauseMs));
      const outputs: string[] = [];
      await readTopicsToEnd(
        kafka,
        [SCRATCH_TOPICS.processorOut],
        (record) => {
          if (record.key?.toString() === run) outputs.push(record.value!.toString());
        },
        { idleMs: 1000 },
      );
      if (outputs.length >= count || Date.now() >= deadline) return outputs;
    }
  };

  it('gives every input exactly one output and dead-letters what keeps failing after bounded tries', async () => {
    await kafka.ensureTopics([
      { name: SCRATCH_TOPICS.processorIn, partitions: 2, config: {} },
      { name: SCRATCH_TOPICS.processorOut, partitions: 2, config: {} },
      { name: SCRATCH_TOPICS.processorSmallOut, partitions: 1, config: { 'max.message.bytes': String(64 * 1024) } },
    ]);
    const run = randomUUID();
    const producer = await kafka.createProducer();
    // A key per input: the inputs spread over both partitions, so transactions carry both.
    const inputs = Array.from({ length: 30 }, (_, i) => ({
      topic: SCRATCH_TOPICS.processorIn,
      key: `${run}/${i}`,
      value: Buffer.from(`${run}:${i}`),
    }));
    const mixedTransactions: number[] = [];
    let transientFailures = 0;
    let repeatedFailures = 0;
    const out = (value: string): OutgoingRecord => ({
      topic: SCRATCH_TOPICS.processorOut,
      key: run,
      value: Buffer.from(value),
    });
    const processor = new TransactionalProcessor(kafka, logger, {
      groupId: `processor-test-${run}`,
      topics: [SCRATCH_TOPICS.processorIn],
      transactionalId: `processor-test-${run}`,
      chunkSize: 7,
      maxAttempts: MAX_ATTEMPTS,
      retryBackoffMs: 50,
      state: new ProcessorState(),
      fromBeginning: true,
      onCommitted: (records) => {
        const partitions = new Set(records.map((record) => record.partition));
        if (partitions.size > 1) mixedTransactions.push(records.length);
      },
      handleChunk: eachRecord(async (record: IncomingRecord) => {
        if (!record.key?.toString().startsWith(`${run}/`)) return [];
        const text = record.value!.toString();
        if (text.endsWith(':13')) throw new Error('poison');
        if (text.endsWith(':20') && transientFailures++ < 2)
          throw new JournalwireError('internal', 'database away', { retryable: true });
        if (text.endsWith(':25')) {
          repeatedFailures++;
          throw new JournalwireError('internal', 'ERROR 54000: index row size exceeds maximum', { retryable: true });
        }
        // Larger than the small topic's max.message.bytes: the broker answers MESSAGE_TOO_LARGE.
        if (text.endsWith(':27'))
          return [{ topic: SCRATCH_TOPICS.processorSmallOut, key: run, value: Buffer.alloc(200 * 1024, 1) }];
        return [out(`out:${text}`)];
      }),
      onError: async (record, error, attempts) => [
        out(`dead:${record.value!.toString()}:${attempts}:${error instanceof Error ? error.message : ''}`),
      ],
    });
    processors.push(processor);
    processor.start();
    await producer.send(inputs);
    await producer.disconnect();

    const outputs = await readOutputs(run, 30, 120_000);
    const of = (i: number) => outputs.filter((o) => o.includes(`${run}:${i}:`) || o.endsWith(`${run}:${i}`));
    expect(outputs).toHaveLength(30);
    expect(new Set(outputs).size).toBe(30);
    expect(of(13)).toEqual([`dead:${run}:13:1:poison`]);
    expect(of(20)).toEqual([`out:${run}:20`]);
    expect(of(25)).toEqual([`dead:${run}:25:${MAX_ATTEMPTS}:ERROR 54000: index row size exceeds maximum`]);
    expect(of(27)).toHaveLength(1);
    expect(of(27)[0]).toMatch(new RegExp(`^dead:${run}:27:${MAX_ATTEMPTS}:`));
    for (const i of [0, 12, 14, 24, 26, 28, 29]) expect(of(i)).toEqual([`out:${run}:${i}`]);
    expect(transientFailures).toBeGreaterThanOrEqual(2);
    // maxAttempts tries of the record, plus one inside its chunk when the batch gave it neighbours,
    // plus one inside its transaction when that carried other partitions' chunks too.
    expect(repeatedFailures).toBeGreaterThanOrEqual(MAX_ATTEMPTS);
    expect(repeatedFailures).toBeLessThanOrEqual(MAX_ATTEMPTS + 2);
    // Both partitions' records went into one transaction at least once.
    expect(mixedTransactions.length).toBeGreaterThan(0);
    // And each transaction committed every partition's offset: a partition left behind would be
    // processed again after a restart (concurrent offset commits were once merged into one).
    await expect
      .poll(
        async () => (await consumerLag(kafka, `processor-test-${run}`, [SCRATCH_TOPICS.processorIn])).map((p) => p.lag),
        { timeout: 15_000, interval: 500 },
      )
      .toEqual([0, 0]);
  });

  it('dead-letters a record whose handler never finishes after two tries, and its neighbours get their outputs', async () => {
    const run = randomUUID();
    const hangs: number[] = [];
    const processor = new TransactionalProcessor(kafka, logger, {
      groupId: `processor-test-${run}`,
      topics: [SCRATCH_TOPICS.processorIn],
      transactionalId: `processor-test-${run}`,
      chunkSize: 4,
      // Far more than a hang may cost: a timeout is not retried maxAttempts times.
      maxAttempts: 10,
      retryBackoffMs: 50,
      attemptTimeoutMs: 2000,
      fromBeginning: true,
      handleChunk: eachRecord(async (record: IncomingRecord) => {
        if (record.key?.toString() !== run) return [];
        const text = record.value!.toString();
        if (text.endsWith(':5')) {
          hangs.push(Number(record.offset));
          return new Promise<OutgoingRecord[]>(() => undefined);
        }
        return [{ topic: SCRATCH_TOPICS.processorOut, key: run, value: Buffer.from(`out:${text}`) }];
      }),
      onError: async (record, error, attempts) => [
        {
          topic: SCRATCH_TOPICS.processorOut,
          key: run,
          value: Buffer.from(
            `dead:${record.value!.toString()}:${attempts}:${isJournalwireError(error) ? error.code : ''}:${error instanceof Error ? error.message : ''}`,
          ),
        },
      ],
    });
    processors.push(processor);
    processor.start();
    const producer = await kafka.createProducer();
    await producer.send(
      Array.from({ length: 10 }, (_, i) => ({
        topic: SCRATCH_TOPICS.processorIn,
        key: run,
        value: Buffer.from(`${run}:${i}`),
      })),
    );
    await producer.disconnect();

    const outputs = await readOutputs(run, 10, 90_000);
    expect(outputs).toHaveLength(10);
    for (const i of [0, 1, 2, 3, 4, 6, 7, 8, 9]) expect(outputs).toContain(`out:${run}:${i}`);
    const dead = outputs.filter((o) => o.startsWith('dead:'));
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatch(new RegExp(`^dead:${run}:5:2:timeout:1 record\\(s\\) from .* took longer than 2000 ms$`));
    // Its chunk's try and one try alone.
    expect(hangs).toHaveLength(2);
  });

  it('waits out an unreachable dependency without dead-lettering, and says what it waits for', async () => {
    const run = randomUUID();
    const dir = join(testEnv.runDir, `outage-${run}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'blob'), 'stored bytes');
    const state = new ProcessorState();
    const dead: string[] = [];
    const processor = new TransactionalProcessor(kafka, logger, {
      groupId: `processor-test-${run}`,
      topics: [SCRATCH_TOPICS.processorIn],
      transactionalId: `processor-test-${run}`,
      state,
      maxAttempts: 2,
      retryBackoffMs: 50,
      fromBeginning: true,
      dependencies: [{ name: 'blob-store', check: () => blobDirectoryCheck(dir) }],
      handleChunk: eachRecord(async (record: IncomingRecord) => {
        if (record.key?.toString() !== run) return [];
        // A missing file looks like bad data (not retryable) unless the processor sees the outage.
        let bytes: Buffer;
        try {
          bytes = readFileSync(join(dir, 'blob'));
        } catch (error) {
          throw new JournalwireError('blob-store', `blob is missing: ${String(error)}`);
        }
        return [{ topic: SCRATCH_TOPICS.processorOut, key: run, value: Buffer.from(`out:${bytes.toString()}`) }];
      }),
      onError: async (record) => {
        dead.push(record.offset);
        return [{ topic: SCRATCH_TOPICS.processorOut, key: run, value: Buffer.from('dead') }];
      },
    });
    processors.push(processor);
    // The blob directory goes away (an unmounted volume) before the record arrives.
    renameSync(dir, `${dir}-away`);
    processor.start();
    const producer = await kafka.createProducer();
    await producer.send([{ topic: SCRATCH_TOPICS.processorIn, key: run, value: Buffer.from('needs the blob') }]);
    await producer.disconnect();

    for (const deadline = Date.now() + 60_000; !state.waitingFor && Date.now() < deadline;)
      await new Promise((r) => setTimeout(r, 200));
    expect(state.waitingFor?.dependency).toBe('blob-store');
    await expect(state.readinessCheck().check()).rejects.toThrow(/waiting for blob-store since/);
    // Far longer than maxAttempts tries would take: an outage is not counted against the record.
    await new Promise((r) => setTimeout(r, 5000));
    expect(dead).toEqual([]);
    renameSync(`${dir}-away`, dir);

    const outputs = await readOutputs(run, 1, 90_000);
    expect(outputs).toEqual(['out:stored bytes']);
    expect(dead).toEqual([]);
    // Once everything answers, the wait is over (a transaction still being fenced after the
    // outage may hold it a moment longer than the output's commit).
    for (const deadline = Date.now() + 60_000; state.waitingFor && Date.now() < deadline;)
      await new Promise((r) => setTimeout(r, 200));
    expect(state.waitingFor).toBeNull();
    await expect(state.readinessCheck().check()).resolves.toBeUndefined();
  });

  it('keeps its group membership through a chunk that takes longer than the session timeout', async () => {
    const run = randomUUID();
    const state = new ProcessorState();
    const busy = Array.from({ length: 30 }, (_, i) => `busy-${i}`);
    let calls = 0;
    const processor = new TransactionalProcessor(kafka, logger, {
      groupId: `processor-test-${run}`,
      topics: [SCRATCH_TOPICS.processorIn],
      transactionalId: `processor-test-${run}`,
      state,
      chunkSize: 100,
      fromBeginning: true,
      handleChunk: eachRecord(async (record: IncomingRecord) => {
        if (record.key?.toString() !== run) return [];
        calls++;
        // 30 records of 600 ms of CPU each: one chunk of 18 s, longer than the 15 s session timeout.
        const until = Date.now() + 600;
        while (Date.now() < until);
        return [
          { topic: SCRATCH_TOPICS.processorOut, key: run, value: Buffer.from(`out:${record.value!.toString()}`) },
        ];
      }),
      onError: async () => [],
    });
    processors.push(processor);
    processor.start();
    const producer = await kafka.createProducer();
    await producer.send(
      busy.map((value) => ({ topic: SCRATCH_TOPICS.processorIn, key: run, value: Buffer.from(value) })),
    );
    await producer.disconnect();
    const outputs = await readOutputs(run, busy.length, 120_000, 2000);
    expect(outputs.sort()).toEqual(busy.map((b) => `out:${b}`).sort());
    expect(state.groupJoins).toBe(1);
    expect(calls).toBe(busy.length);
  });
});
