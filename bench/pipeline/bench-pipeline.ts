import type { ServiceName } from '#test-support';
import type { ConnectorStatusView } from '#contracts';
import {
  benchOptions,
  drainMailbox,
  measureCeilings,
  measuredDrains,
  pipelineBench,
  runBench,
  warmUp,
  type DrainToMeasure,
} from '../support/measure.js';
import { conservation, cpuPerMessage, decidedMessages, percentiles } from '../support/pipeline-measures.js';
import { steadyLoad } from './steady-load.js';

// npm run bench [-- --messages 20000 --json] [--repeat N]
// Drains a generated mailbox (journal reports of 2-120 KB, about 28 KB mean) through the whole
// pipeline, and in the same run measures the raw POP3 ceiling on an identical mailbox. With
// --repeat N it does both N times and reports the medians, with each run's figures in `runs`.
// npm run bench -- --rate 100 --seconds 60 [--json]
// Steady load instead: delivers that many reports per second and reports latencies (steady-load.ts).

const SERVICES: ServiceName[] = ['poller', 'envelope', 'policy', 'status'];
const DIRECTORY = {
  domains: ['contoso.com'],
  addresses: ['alice@contoso.com', 'bob@contoso.com', 'carol@contoso.com', 'dave@contoso.com'],
};

const options = benchOptions(20_000);
if (options.rate !== null) runBench('bench', () => steadyLoad(options, SERVICES, DIRECTORY));
else
  pipelineBench(
    'bench',
    {
      messages: 20_000,
      database: 'journalwire_bench',
      env: { LOG_LEVEL: 'warn' },
      repeatable: true,
    },
    async (run) => {
      const { pipeline, options: opts } = run;
      // The ceiling: the same messages in a second mailbox, read by a minimal pipelined reader,
      // once per measured drain and before the services start.
      const ceilings = await measureCeilings(run);
      await pipeline.start();
      await pipeline.api('POST', '/v1/directory/import', DIRECTORY);
      const decided = (count: number) => (status: ConnectorStatusView) =>
        status.counters.extracted >= count && status.processingQueue === 0;
      await warmUp(pipeline, opts, SERVICES, decided);
      await measuredDrains(
        run,
        ceilings,
        ['cpu_seconds', 'v8_worker_seconds'],
        (files) => drainMailbox(pipeline, files, 'bench', SERVICES, decided(opts.messages)),
        measuredRun,
      );
    },
  );

/** One measured drain's figures, against the ceiling measured for it. */
async function measuredRun(drained: DrainToMeasure): Promise<Record<string, unknown>> {
  const { pipeline, drain, ceiling, totalBytes, messages } = drained;
  const { id, seconds } = drain;
  const latency = percentiles((await decidedMessages(pipeline, id)).map((m) => m.decidedAt - m.extractedAt));
  const rate = messages / seconds;
  return {
    mean_kb: Number((totalBytes / messages / 1024).toFixed(1)),
    e2e_msgs_per_s: Number(rate.toFixed(1)),
    e2e_mb_per_s: Number((totalBytes / seconds / 1024 / 1024).toFixed(2)),
    ceiling_msgs_per_s: Number(ceiling.msgsPerSecond.toFixed(1)),
    ceiling_cpu_seconds: ceiling.cpuSeconds,
    ratio: Number((rate / ceiling.msgsPerSecond).toFixed(3)),
    p50_ms: latency.p50,
    p99_ms: latency.p99,
    ...(await conservation(pipeline, id, drain.mailbox, messages)),
    // VmHWM: the peak since the service started, so the last run's is the peak of all.
    peak_rss_mb: drain.peakRssMb,
    // Where the cores went during the drain; "machine_busy" is the share of all cores that was busy.
    cpu_seconds: drain.cpu,
    // Of each service's cpu_seconds, its V8 worker threads' (garbage collection, optimising compilers).
    v8_worker_seconds: drain.v8Workers,
    machine_busy: drain.machineBusy,
    ...cpuPerMessage(drain, messages),
  };
}
