import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { JournalwireError } from '#errors';
import { eachRecord, KafkaGateway, readTopicsToEnd, TransactionalProcessor, type IncomingRecord } from '#kafka';
import { createLogger } from '#logger';
import { SCRATCH_TOPICS, testKafka } from '#test-support';

const logger = createLogger({ service: 'processor-test', level: 'error' });

// The processor on the real broker: outputs and offsets commit together, poison becomes a dead
// letter, and a transient failure retries instead of dead-lettering.
describe('TransactionalProcessor', () => {
  const kafka = new KafkaGateway(testKafka('processor-test'), logger);
  const processors: TransactionalProcessor[] = [];
  afterAll(async () => {
    await Promise.all(processors.map((p) => p.stop()));
  });

  it('maps every input to exactly one output, dead-letters poison, retries transient failures', async () => {
    await kafka.ensureTopics(
      [SCRATCH_TOPICS.processorIn, SCRATCH_TOPICS.processorOut].map((name) => ({
        name: name,
        partitions: 2,
        config: {},
      })),
    );
    const run = randomUUID();
    const producer = await kafka.createProducer();
    const inputs = Array.from({ length: 30 }, (_, i) => ({
      topic: SCRATCH_TOPICS.processorIn,
      key: run,
      value: Buffer.from(`${run}:${i}`),
    }));
    let transientFailures = 0;
    const processor = new TransactionalProcessor(kafka, logger, {
      groupId: `processor-test-${run}`,
      topics: [SCRATCH_TOPICS.processorIn],
      transactionalId: `processor-test-${run}`,
      chunkSize: 7,
      fromBeginning: true,
      handleChunk: eachRecord(async (record: IncomingRecord) => {
        if (record.key?.toString() !== run) return [];
        const text = record.value!.toString();
        if (text.endsWith(':13')) throw new Error('poison');
        if (text.endsWith(':20') && transientFailures++ < 2)
          throw new JournalwireError('internal', 'database away', { retryable: true });
        return [{ topic: SCRATCH_TOPICS.processorOut, key: run, value: Buffer.from(`out:${text}`) }];
      }),
      onError: (record) => [
        { topic: SCRATCH_TOPICS.processorOut, key: run, value: Buffer.from(`dead:${record.value!.toString()}`) },
      ],
    });
    processors.push(processor);
    processor.start();
    await producer.send(inputs);
    await producer.disconnect();

    const deadline = Date.now() + 90_000;
    let outputs: string[] = [];
    while (Date.now() < deadline) {
      outputs = [];
      await readTopicsToEnd(
        kafka,
        [SCRATCH_TOPICS.processorOut],
        (record) => {
          if (record.key?.toString() === run) outputs.push(record.value!.toString());
        },
        { idleMs: 1000 },
      );
      if (outputs.length >= 30) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(outputs).toHaveLength(30);
    expect(new Set(outputs).size).toBe(30);
    expect(outputs).toContain(`dead:${run}:13`);
    expect(outputs).toContain(`out:${run}:20`);
    expect(transientFailures).toBeGreaterThanOrEqual(2);
  });
});
