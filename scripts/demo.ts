import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { KafkaGateway, readConnectorRecords, reconcileConnector } from '#kafka';
import { createLogger } from '#logger';
import { startService, testEnv, type RunningService } from '#test-support';
import { runCli } from './cli.js';

const run = promisify(execFile);
const SAMPLES = resolve('test/fixtures/journal');

// The README's demo: a journal mailbox seeded with the sample reports, a connector registered
// through the REST API, and every message followed to its outcome.
runCli('demo', async () => {
  const services: RunningService[] = [];
  const say = (line: string) => process.stdout.write(`${line}\n`);
  try {
    const mailbox = `journal-demo-${Date.now()}@contoso.test`;
    const password = randomBytes(12).toString('base64url');
    const samples = readdirSync(SAMPLES).filter((f) => f.endsWith('.eml')).sort();
    await run('deploy/local/mailbox.sh', ['create', mailbox, password]);
    await run('deploy/local/mailbox.sh', ['deliver', mailbox, ...samples.map((f) => join(SAMPLES, f))]);
    say(`1. journal mailbox ${mailbox} on Dovecot holds ${samples.length} sample journal reports`);

    const { stdout } = await run(process.execPath, ['dist/scripts/token.js', 'create', 'demo']);
    const token = (JSON.parse(stdout) as { token: string }).token;
    const blobDir = join(testEnv.runDir, 'demo-blobs');
    mkdirSync(blobDir, { recursive: true });
    const env = {
      DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/journalwire',
      CREDENTIAL_KEY: process.env.CREDENTIAL_KEY ?? Buffer.alloc(32, 42).toString('base64'),
      BLOB_DIR: blobDir,
      POLL_TICK_MS: '500',
      LOG_LEVEL: 'warn',
    };
    for (const name of ['status', 'envelope', 'policy', 'poller'] as const) services.push(await startService(name, env));
    const status = services[0]!;
    say(`2. services running: ${services.map((s) => `${s.name} (:${s.port})`).join(', ')}; logs in ${testEnv.runDir}/test-logs`);

    const api = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${status.baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const json: unknown = await response.json().catch(() => null);
      if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${JSON.stringify(json)}`);
      return json as Record<string, unknown>;
    };
    await api('POST', '/v1/directory/import', {
      domains: ['contoso.com'],
      addresses: ['alice@contoso.com', 'bob@contoso.com', 'dave@contoso.com', 'carol@contoso.com', 'peter@contoso.com', 'olivia@contoso.com', 'sam@contoso.com', 'lena.muller@contoso.com', 'abe@contoso.com', 'vera@contoso.com'],
    });
    const connector = await api('POST', '/v1/connectors', {
      description: 'Demo Exchange journal connector',
      transportType: 'pop3',
      serviceEmailAddress: 'journal@contoso.com',
      mailboxName: mailbox,
      password,
      host: testEnv.pop3Host,
      port: testEnv.pop3sPort,
      encrypted: true,
      encryptionMode: 'strict',
      journalType: 'envelope',
      removeJournalHeaders: true,
      journalNonInternalAddresses: false,
      journalUnknownInternalAddresses: true,
      pollIntervalSeconds: 5,
    });
    const id = String(connector.id);
    say(`3. connector ${id} registered (POP3S, strict TLS against the test CA, journal headers removed)`);
    const probe = await api('POST', `/v1/connectors/${id}/test-extraction`);
    const steps = (probe.steps as Array<{ step: string; ok: boolean }>).map((s) => `${s.step} ${s.ok ? 'ok' : 'FAILED'}`);
    say(`4. test journal extraction: ${steps.join(', ')}`);

    const deadline = Date.now() + 60_000;
    let current: Record<string, unknown> = {};
    for (;;) {
      current = await api('GET', `/v1/connectors/${id}/status`);
      const counters = current.counters as Record<string, number>;
      const done = (counters.extracted ?? 0) >= samples.length && current.processingQueue === 0 && current.pop3MailboxQueue === 0;
      if (done) break;
      if (Date.now() > deadline) throw new Error(`pipeline did not settle within 60 s: ${JSON.stringify(current)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    say(`5. status: ${JSON.stringify({ serviceStatus: current.serviceStatus, lastSuccessfulExtract: current.lastSuccessfulExtract, processingQueue: current.processingQueue, pop3MailboxQueue: current.pop3MailboxQueue, counters: current.counters })}`);

    const kafka = new KafkaGateway({ brokers: testEnv.kafkaBrokers, clientId: 'journalwire-demo' }, createLogger({ service: 'demo', level: 'warn' }));
    const outcomes = await readConnectorRecords(kafka, id);
    const rows = [
      ...outcomes.archived.map((r) => `${r.event.padEnd(8)} ${r.kind.padEnd(17)} ${r.classification.padEnd(16)} ${(r.sender ?? '-').padEnd(34)} mailboxes=${r.mailboxes.join(',')}${r.removedHeaders.length ? ` removed=${r.removedHeaders.join(',')}` : ''}`),
      ...outcomes.rejected.map((r) => `rejected ${r.reason.padEnd(17)} ${r.classification.padEnd(16)} ${r.messageId ?? ''}`),
      ...outcomes.dead.map((r) => `dlq      ${r.error.code} ${r.error.message}`),
    ];
    say('6. outcomes:');
    for (const row of rows) say(`   ${row}`);
    const report = await reconcileConnector(kafka, id);
    say(`7. reconciliation: ${report.raw} raw records; ${JSON.stringify(report.outcomes)}; ${report.ok ? 'every raw record has exactly one outcome' : 'CONSERVATION VIOLATED'}`);
    return report.ok ? 0 : 1;
  } finally {
    await Promise.all(services.map((s) => s.stop()));
  }
});
