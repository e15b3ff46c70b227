import { readFileSync } from 'node:fs';
import { mailboxCount } from '#test-support';
import {
  benchConnector,
  benchOptions,
  benchReports,
  CpuMeter,
  dovecotPid,
  execFileAsync as run,
  kafkaPid,
  measureCeiling,
  peakRssMb,
  printResult,
  runBench,
  withBenchPipeline,
} from '../support/measure.js';

// npm run bench:extract [-- --messages 10000 --json]
// Extraction alone: with only the status service and the poller running (real Kafka, Dovecot,
// PostgreSQL, Redis), the time the poller takes to empty a mailbox of generated journal reports,
// against a raw pipelined POP3 reader draining an identical mailbox in the same run.

const options = benchOptions(10_000);
const MESSAGES = options.messages;
const { log } = options;

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
  const { files, totalBytes } = benchReports(options);

  await withBenchPipeline('journalwire_bench_extract', {}, async (pipeline) => {
    const ceiling = await measureCeiling(files, log);

    await pipeline.start(['status', 'poller']);
    // Classification is not part of this run, but the poller refuses to extract for an empty directory.
    await pipeline.api('POST', '/v1/directory/import', { domains: ['contoso.com'], addresses: [] });
    const pollerPid = pipeline.service('poller').process.pid;
    const statusPid = pipeline.service('status').process.pid;
    const meter = new CpuMeter({ poller: pollerPid, status: statusPid, kafka: kafkaPid(), dovecot: dovecotPid() });
    log(`delivering ${MESSAGES} messages to the poller's mailbox...`);
    let started = 0;
    const { id, mailbox } = await benchConnector(pipeline, files, 'bench-extract', () => {
      meter.start();
      started = performance.now();
    });
    files.length = 0;
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
    printResult(result, options.json);
    await run('deploy/local/mailbox.sh', ['delete', mailbox]).catch(() => undefined);
  });
}

runBench('bench:extract', main);
