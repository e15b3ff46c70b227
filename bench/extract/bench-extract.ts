import { readFileSync, rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { deliver, mailboxCount, Pipeline, testEnv } from '#test-support';
import {
  CpuMeter,
  dovecotPid,
  execFileAsync as run,
  freshDatabase,
  generateReports,
  kafkaPid,
  measureCeiling,
  peakRssMb,
  printResult,
} from '../support/measure.js';

// npm run bench:extract [-- --messages 10000 --json]
// Extraction alone: with only the status service and the poller running (real Kafka, Dovecot,
// PostgreSQL, Redis), the time the poller takes to empty a mailbox of generated journal reports,
// against a raw pipelined POP3 reader draining an identical mailbox in the same run.

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '42' },
    json: { type: 'boolean', default: false },
  },
});
const MESSAGES = Number(args.messages);
const log = (line: string) => {
  if (!args.json) process.stdout.write(`${line}\n`);
};

/** Stage totals (ms) from the poller's session-end log lines, and the sessions' own total. */
function sessionStages(logFiles: string[]): { sessions: number; sessionMs: number; stages: Record<string, number> } {
  const stages: Record<string, number> = {};
  let sessions = 0;
  let sessionMs = 0;
  for (const file of logFiles) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.includes('"session-end"')) continue;
      const entry = JSON.parse(line) as { ms?: number; stages?: Record<string, number> };
      sessions += 1;
      sessionMs += entry.ms ?? 0;
      for (const [stage, ms] of Object.entries(entry.stages ?? {})) stages[stage] = (stages[stage] ?? 0) + ms;
    }
  }
  return { sessions, sessionMs, stages };
}

async function main(): Promise<void> {
  log(`generating ${MESSAGES} journal reports...`);
  const { files, totalBytes } = generateReports(MESSAGES, Number(args.seed));
  log(`  ${(totalBytes / 1024 / 1024).toFixed(1)} MiB, mean ${(totalBytes / MESSAGES / 1024).toFixed(1)} KiB`);

  // A database of its own, so that connectors of earlier runs and tests do not share the poller.
  const databaseUrl = await freshDatabase('journalwire_bench_extract');
  const pipeline = new Pipeline({ DATABASE_URL: databaseUrl });
  try {
    const ceiling = await measureCeiling(files, log);

    await pipeline.start(['status', 'poller']);
    // Classification is not part of this run, but the poller refuses to extract for an empty directory.
    await pipeline.api('POST', '/v1/directory/import', { domains: ['contoso.com'], addresses: [] });
    const mailbox = `bench-extract-${Date.now()}@contoso.test`;
    await run('deploy/local/mailbox.sh', ['create', mailbox, 'bench-pass']);
    log(`delivering ${MESSAGES} messages to the poller's mailbox...`);
    await deliver(mailbox, files);
    files.length = 0;

    const pollerPid = pipeline.service('poller').process.pid;
    const statusPid = pipeline.service('status').process.pid;
    const meter = new CpuMeter({ poller: pollerPid, status: statusPid, kafka: kafkaPid(), dovecot: dovecotPid() });
    meter.start();
    const started = performance.now();
    const connector = await pipeline.api('POST', '/v1/connectors', {
      description: 'bench extract',
      transportType: 'pop3',
      serviceEmailAddress: 'journal@contoso.com',
      mailboxName: mailbox,
      password: 'bench-pass',
      host: testEnv.pop3Host,
      port: testEnv.pop3sPort,
      encrypted: true,
      encryptionMode: 'strict',
      journalNonInternalAddresses: true,
      journalUnknownInternalAddresses: true,
      pollIntervalSeconds: 5,
      maxMessagesPerSession: 100000,
    });
    const id = String(connector.id);
    // Emptied: every message is in Kafka and the ledger (the status count) and gone from Dovecot.
    for (;;) {
      const status = await pipeline.status(id).catch(() => undefined);
      if (status && status.counters.extracted >= MESSAGES && (await mailboxCount(mailbox)) === 0) break;
      if (performance.now() - started > 30 * 60_000) throw new Error('the poller did not empty the mailbox in 30 min');
      await new Promise((r) => setTimeout(r, 200));
    }
    const seconds = (performance.now() - started) / 1000;
    const { cpu, busySeconds, machineBusy } = meter.stop();
    const rate = MESSAGES / seconds;
    const reconciled = await pipeline.reconcile(id);
    const { sessions, sessionMs, stages } = sessionStages(pipeline.logFiles.filter((f) => f.includes('/poller-')));
    const perMessage = (s: number) => Number(((s * 1000) / MESSAGES).toFixed(3));
    const result = {
      messages: MESSAGES,
      mean_kb: Number((totalBytes / MESSAGES / 1024).toFixed(1)),
      poller_msgs_per_s: Number(rate.toFixed(1)),
      raw_msgs_per_s: Number(ceiling.msgsPerSecond.toFixed(1)),
      ratio: Number((rate / ceiling.msgsPerSecond).toFixed(3)),
      raw_cpu_ms_per_msg: {
        reader: perMessage(ceiling.cpuSeconds.reader),
        dovecot: perMessage(ceiling.cpuSeconds.dovecot),
      },
      cpu_ms_per_msg: Object.fromEntries(Object.entries(cpu).map(([name, s]) => [name, perMessage(s)])),
      cpu_ms_per_msg_total: perMessage(busySeconds),
      machine_busy: machineBusy,
      peak_rss_mb: { poller: peakRssMb(pollerPid), status: peakRssMb(statusPid) },
      // Wall-clock ms per stage summed over the sessions (they overlap: retrieval runs beside the commit).
      sessions,
      session_ms: sessionMs,
      stage_ms: stages,
      published: reconciled.raw,
      lost: Math.max(0, MESSAGES - reconciled.raw),
      duplicated: Math.max(0, reconciled.raw - MESSAGES),
    };
    printResult(result, args.json);
    await run('deploy/local/mailbox.sh', ['delete', mailbox]).catch(() => undefined);
  } finally {
    await pipeline.stop();
    rmSync(pipeline.blobDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:extract: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
});
