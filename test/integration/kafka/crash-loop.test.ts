import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaGateway, readTopicsToEnd } from '#kafka';
import { createLogger } from '#logger';
import { testKafka } from '#test-support';

const logger = createLogger({ service: 'crash-loop-test', level: 'fatal' });
const WORKER = resolve('dist/test/support/crash-loop-worker.js');

/** Runs the worker until it exits; its exit code, or the signal that ended it. */
function runWorker(env: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, [WORKER], { env: { ...process.env, ...env }, stdio: 'inherit' });
  return new Promise((done) => child.once('exit', (code, signal) => done(signal ?? String(code))));
}

// A record that ends its process every time it is handled (here SIGKILL; in life an out-of-memory
// kill or a native crash) must not stop its partition: after a bounded number of such ends it is
// dead-lettered without being handled again, and every other record gets its output once.
describe('a record that keeps killing its processor', () => {
  const kafka = new KafkaGateway(testKafka('crash-loop-test'), logger);
  const run = randomUUID();
  const topics = {
    in: `journalwire.test.crash-in-${run}`,
    out: `journalwire.test.crash-out-${run}`,
    dlq: `journalwire.test.crash-dlq-${run}`,
  };
  afterAll(async () => {
    await kafka.deleteTopics(Object.values(topics)).catch(() => undefined);
    await kafka.closeAdmin();
  });

  it('is dead-lettered after three crashes, and its neighbours are processed once', async () => {
    await kafka.ensureTopics(Object.values(topics).map((name) => ({ name, partitions: 1, config: {} })));
    const producer = await kafka.createProducer();
    const values = Array.from({ length: 25 }, (_, i) => (i === 13 ? 'poison' : `ordinary ${i}`));
    await producer.send(values.map((value) => ({ topic: topics.in, key: run, value: Buffer.from(value) })));
    await producer.disconnect();

    const env = {
      CRASH_IN: topics.in,
      CRASH_OUT: topics.out,
      CRASH_DLQ: topics.dlq,
      CRASH_GROUP: `crash-loop-${run}`,
      CRASH_LAST_OFFSET: '24',
    };
    const ends: string[] = [];
    while (ends.at(-1) !== '0' && ends.length < 8) ends.push(await runWorker(env));
    expect(ends).toEqual(['SIGKILL', 'SIGKILL', 'SIGKILL', 'SIGKILL', '0']);

    const outputs: string[] = [];
    const deadLetters: Array<{ offset: string; error: string }> = [];
    await readTopicsToEnd(kafka, [topics.out, topics.dlq], (record) => {
      if (record.topic === topics.out) outputs.push(record.value!.toString());
      else deadLetters.push({ offset: record.key!.toString(), error: record.value!.toString() });
    });
    expect(outputs.sort()).toEqual(values.filter((value) => value !== 'poison').sort());
    expect(deadLetters).toEqual([{ offset: '13', error: expect.stringMatching(/ended its process 3 time\(s\)/) }]);
  });
});
