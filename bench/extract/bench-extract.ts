import { readFileSync } from 'node:fs';
import type { ConnectorStatusView } from '#contracts';
import { mailboxCount, type ServiceName } from '#test-support';
import {
  drainMailbox,
  measureCeilings,
  measuredDrains,
  pipelineBench,
  warmUp,
  type DrainToMeasure,
} from '../support/measure.js';

// npm run bench:extract [-- --messages 10000 --json] [--repeat N]
// Extraction alone: with only the status service and the poller running (real Kafka, Dovecot,
// PostgreSQL, Redis), the time the poller takes to empty a mailbox of generated journal reports,
// against a raw pipelined POP3 reader draining an identical mailbox in the same run. With --repeat N
// it does both N times and reports the medians, with each run's figures in `runs`.

/** Stage totals (ms) from the poller's session-end log lines of one connector, and the sessions' own total. */
function sessionStages(
  logFiles: string[],
  connectorId: string,
): { sessions: number; sessionMs: number; stages: Record<string, number> } {
  const stages: Record<string, number> = {};
  let sessions = 0;
  let sessionMs = 0;
  for (const file of logFiles) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (!line.includes('"session-end"')) continue;
      const entry = JSON.parse(line) as { connectorId?: string; ms?: number; stages?: Record<string, number> };
      if (entry.connectorId !== connectorId) continue;
      sessions += 1;
      sessionMs += entry.ms ?? 0;
      for (const [stage, ms] of Object.entries(entry.stages ?? {})) stages[stage] = (stages[stage] ?? 0) + ms;
    }
  }
  return { sessions, sessionMs, stages };
}

const SERVICES: ServiceName[] = ['status', 'poller'];

pipelineBench(
  'bench:extract',
  { messages: 10_000, database: 'journalwire_bench_extract', repeatable: true },
  async (run) => {
    const { pipeline, options } = run;
    // One raw reader's drain per measured drain, before the services start.
    const ceilings = await measureCeilings(run);
    await pipeline.start(SERVICES);
    // Classification is not part of this run, but the poller refuses to extract for an empty directory.
    await pipeline.api('POST', '/v1/directory/import', { domains: ['contoso.com'], addresses: [] });
    // Emptied: every message is in Kafka and the ledger (the status count) and gone from Dovecot.
    const emptied = (count: number) => async (status: ConnectorStatusView, mailbox: string) =>
      status.counters.extracted >= count && (await mailboxCount(mailbox)) === 0;
    await warmUp(pipeline, options, SERVICES, emptied);
    await measuredDrains(
      run,
      ceilings,
      ['raw_cpu_ms_per_msg', 'cpu_ms_per_msg', 'v8_worker_ms_per_msg', 'stage_ms'],
      (files) => {
        options.log(`delivering ${options.messages} messages to the poller's mailbox...`);
        return drainMailbox(pipeline, files, 'bench-extract', SERVICES, emptied(options.messages));
      },
      measuredRun,
    );
  },
);

/** One measured drain's figures, against the raw reader's drain measured for it. */
async function measuredRun(drained: DrainToMeasure): Promise<Record<string, unknown>> {
  const { pipeline, drain, ceiling, totalBytes, messages } = drained;
  const rate = messages / drain.seconds;
  const reconciled = await pipeline.reconcile(drain.id);
  const { sessions, sessionMs, stages } = sessionStages(
    pipeline.logFiles.filter((f) => f.includes('/poller-')),
    drain.id,
  );
  const perMessage = (s: number) => Number(((s * 1000) / messages).toFixed(3));
  return {
    mean_kb: Number((totalBytes / messages / 1024).toFixed(1)),
    poller_msgs_per_s: Number(rate.toFixed(1)),
    raw_msgs_per_s: Number(ceiling.msgsPerSecond.toFixed(1)),
    ratio: Number((rate / ceiling.msgsPerSecond).toFixed(3)),
    raw_cpu_ms_per_msg: {
      reader: perMessage(ceiling.cpuSeconds.reader),
      dovecot: perMessage(ceiling.cpuSeconds.dovecot),
    },
    cpu_ms_per_msg: Object.fromEntries(Object.entries(drain.cpu).map(([name, s]) => [name, perMessage(s)])),
    cpu_ms_per_msg_total: perMessage(drain.busySeconds),
    // Of the services' CPU, their V8 worker threads' (garbage collection, optimising compilers).
    v8_worker_ms_per_msg: Object.fromEntries(Object.entries(drain.v8Workers).map(([name, s]) => [name, perMessage(s)])),
    machine_busy: drain.machineBusy,
    peak_rss_mb: drain.peakRssMb,
    // Wall-clock ms per stage summed over the sessions (they overlap: retrieval runs beside the commit).
    sessions,
    session_ms: sessionMs,
    stage_ms: stages,
    published: reconciled.raw,
    lost: Math.max(0, messages - reconciled.raw),
    duplicated: Math.max(0, reconciled.raw - messages),
  };
}
