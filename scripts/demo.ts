import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Pipeline, TEST_RUN_ID, testEnv, withRunMessageIds } from '#test-support';
import { runCli } from './cli.js';

const SAMPLES = resolve('test/fixtures/journal');
const DIRECTORY = {
  domains: ['contoso.com'],
  addresses: [
    'alice@contoso.com',
    'bob@contoso.com',
    'dave@contoso.com',
    'carol@contoso.com',
    'peter@contoso.com',
    'olivia@contoso.com',
    'sam@contoso.com',
    'lena.muller@contoso.com',
    'abe@contoso.com',
    'vera@contoso.com',
  ],
};

// The README's demo: a journal mailbox seeded with the sample reports, a connector registered
// through the REST API, and every message followed to its outcome.
// With --keep the pipeline and the web console stay up (until Ctrl-C) for a newcomer to look at.
runCli('demo', async (argv) => {
  const unknown = argv.filter((arg) => arg !== '--keep');
  if (unknown.length > 0) throw new Error(`unknown argument ${unknown[0]} (usage: demo.sh [--keep])`);
  const keep = argv.includes('--keep');
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const pipeline = new Pipeline({
    DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/journalwire',
    ...(process.env.CREDENTIAL_KEY ? { CREDENTIAL_KEY: process.env.CREDENTIAL_KEY } : {}),
    LOG_LEVEL: 'warn',
  });
  try {
    await pipeline.start();
    say(
      `1. services running: ${[...pipeline.services.values()].map((s) => `${s.name} (:${s.port})`).join(', ')}; logs in ${testEnv.runDir}/test-logs`,
    );
    await pipeline.api('POST', '/v1/directory/import', DIRECTORY);
    say(`2. directory: internal domain contoso.com, ${DIRECTORY.addresses.length} known mailboxes`);

    const samples = readdirSync(SAMPLES)
      .filter((f) => f.endsWith('.eml'))
      .sort();
    const { id, mailbox } = await pipeline.connectorWithMailbox(
      // Message-IDs made unique to this run, so a second demo archives again instead of merging.
      samples.map((name) => withRunMessageIds(readFileSync(join(SAMPLES, name)), TEST_RUN_ID)),
      {
        description: 'Demo Exchange journal connector',
        removeJournalHeaders: true,
        journalNonInternalAddresses: false,
        journalUnknownInternalAddresses: true,
      },
    );
    say(
      `3. journal mailbox ${mailbox} on Dovecot holds the ${samples.length} sample reports; connector ${id} registered (POP3S, strict TLS, journal headers removed)`,
    );
    const probe = await pipeline.api<{ steps: Array<{ step: string; ok: boolean }> }>(
      'POST',
      `/v1/connectors/${id}/test-extraction`,
    );
    say(`4. test journal extraction: ${probe.steps.map((s) => `${s.step} ${s.ok ? 'ok' : 'FAILED'}`).join(', ')}`);

    const status = await pipeline.waitUntilDrained(id, mailbox, samples.length, 90_000);
    say(`5. status: ${JSON.stringify(status)}`);
    const outcomes = await pipeline.outcomes(id);
    say('6. outcomes:');
    for (const r of outcomes.archived) {
      say(
        `   ${r.event.padEnd(8)} ${r.kind.padEnd(17)} ${r.classification.padEnd(16)} ${(r.sender ?? '-').padEnd(34)} mailboxes=${r.mailboxes.join(',')}${r.removedHeaders.length ? ` removed=${r.removedHeaders.join(',')}` : ''}`,
      );
    }
    for (const r of outcomes.rejected)
      say(`   rejected ${r.reason.padEnd(17)} ${r.classification.padEnd(16)} ${r.messageId ?? ''}`);
    for (const r of outcomes.dead) say(`   dlq      ${r.error.code} ${r.error.message}`);
    const report = await pipeline.reconcile(id);
    say(
      `7. reconciliation: ${report.raw} raw records; ${JSON.stringify(report.outcomes)}; ${report.ok ? 'every raw record has exactly one outcome' : 'CONSERVATION VIOLATED'}`,
    );
    if (keep) {
      say(`8. the pipeline keeps running; the web console: ${pipeline.service('status').baseUrl}/console/`);
      say(`   sign in with this admin API token (valid until revoked): ${pipeline.token}`);
      say('   press Ctrl-C to stop the services');
      await untilInterrupted();
    }
    return report.ok ? 0 : 1;
  } finally {
    await pipeline.stop();
  }
});

function untilInterrupted(): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
}
