import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  generateJournalReport,
  journalSize,
  Pipeline,
  saslSslEnv,
  seededRandom,
  SERVICE_NAMES,
  startService,
  TEST_RUN_ID,
} from '#test-support';
import { E2E_DIRECTORY } from './directory.js';

const run = promisify(execFile);

// Every service and the reconcile script talk to Kafka only through the stack's SASL_SSL listener
// (TLS with the test CA, SCRAM-SHA-512): the whole pipeline works and no log line shows the password.
describe('the pipeline over Kafka SASL_SSL', () => {
  const sasl = saslSslEnv();
  const kafkaPassword = readFileSync(sasl.KAFKA_SASL_PASSWORD_FILE!, 'utf8').trim();
  let pipeline: Pipeline;

  beforeAll(async () => {
    // Its own gRPC port: other stacks on this machine may hold the default one.
    pipeline = new Pipeline({ ...sasl, BATCH_MAX_MESSAGES: '10', GRPC_PORT: String(await freePort()) });
    await pipeline.start();
    await pipeline.api('POST', '/v1/directory/import', E2E_DIRECTORY);
  });

  afterAll(async () => {
    await pipeline?.stop();
  });

  it('drains a Dovecot mailbox to outcomes, reconciles cleanly, and never logs the Kafka password', async () => {
    const random = seededRandom(1414);
    const files = Array.from(
      { length: 24 },
      (_, i) => generateJournalReport(i, journalSize(random) / 4, random, TEST_RUN_ID).bytes,
    );
    const { id, mailbox, password } = await pipeline.connectorWithMailbox(files, {
      journalNonInternalAddresses: true,
    });
    const status = await pipeline.waitUntilDrained(id, mailbox, files.length);
    expect(status.counters.extracted).toBe(files.length);

    const { archived, rejected, dead } = await pipeline.outcomes(id);
    expect(dead).toEqual([]);
    expect(archived.length + rejected.length).toBe(files.length);
    const report = await pipeline.reconcile(id);
    expect(report.ok).toBe(true);
    expect(report.raw).toBe(files.length);

    // The operator's script, configured by the same variables.
    const { stdout } = await run(
      process.execPath,
      ['dist/scripts/reconcile.js', '--connector', id, '--since', pipeline.since.toISOString(), '--json'],
      { env: { ...process.env, ...sasl } },
    );
    expect(JSON.parse(stdout)).toMatchObject({ connector: id, ok: true, raw: files.length });

    for (const name of SERVICE_NAMES) {
      const log = readFileSync(pipeline.service(name).logFile, 'utf8');
      expect(log, name).not.toContain(kafkaPassword);
      expect(log, name).not.toContain(password);
    }
  });

  it('a service with a wrong Kafka password is never ready and says why, without the password', async () => {
    const wrong = `wrong-${Date.now()}`;
    const failure = await startService(
      'policy',
      { ...saslSslEnv({ password: wrong }), INSTANCE_ID: 'policy-wrong-sasl' },
      {
        readyTimeoutMs: 20_000,
      },
    ).then(
      () => new Error('policy became ready with a wrong Kafka password'),
      (error: unknown) => error as Error,
    );
    expect(failure.message).toMatch(/policy was not ready in time; see /);
    const log = readFileSync(failure.message.replace(/^.*; see /, ''), 'utf8');
    expect(log).toMatch(/Kafka at 127\.0\.0\.1:\d+ refused the SASL login as journalwire \(SCRAM-SHA-512\)/);
    expect(log).not.toContain(wrong);
  });
});
