import {
  benchConnector,
  benchOptions,
  benchReports,
  execFileAsync as run,
  measureCeiling,
  printResult,
  runBench,
  withBenchPipeline,
} from '../support/measure.js';
import { finishPipelineRun, percentiles, pipelineCpuMeter } from '../support/pipeline-measures.js';
import { steadyLoad } from './steady-load.js';

// npm run bench [-- --messages 20000 --json]
// Drains a generated mailbox (journal reports of 2-120 KB, about 28 KB mean) through the whole
// pipeline, and in the same run measures the raw POP3 ceiling on an identical mailbox.
// npm run bench -- --rate 100 --seconds 60 [--json]
// Steady load instead: delivers that many reports per second and reports latencies (steady-load.ts).

const options = benchOptions(20_000);
const MESSAGES = options.messages;
const { log } = options;

const DIRECTORY = {
  domains: ['contoso.com'],
  addresses: ['alice@contoso.com', 'bob@contoso.com', 'carol@contoso.com', 'dave@contoso.com'],
};

async function drain(): Promise<void> {
  const { files, totalBytes } = benchReports(options);

  await withBenchPipeline('journalwire_bench', { BATCH_MAX_MESSAGES: '200', LOG_LEVEL: 'warn' }, async (pipeline) => {
    // The ceiling: the same messages in a second mailbox, read by a minimal pipelined reader.
    const ceiling = await measureCeiling(files, log);
    const ceilingRate = ceiling.msgsPerSecond;

    await pipeline.start();
    await pipeline.api('POST', '/v1/directory/import', DIRECTORY);
    const meter = pipelineCpuMeter(pipeline);
    let started = 0;
    const { id, mailbox } = await benchConnector(pipeline, files, 'bench', () => {
      meter.start();
      started = performance.now();
    });
    files.length = 0;
    // Where the cores went during the drain; "machine_busy" is the share of all cores that was busy.
    const { finishedAt, decided, figures } = await finishPipelineRun(pipeline, meter, {
      connectorId: id,
      mailbox,
      expected: MESSAGES,
      timeoutMs: 30 * 60_000,
    });
    const seconds = (finishedAt - started) / 1000;
    const latency = percentiles(decided.map((m) => m.decidedAt - m.extractedAt));
    const rate = MESSAGES / seconds;
    const result = {
      messages: MESSAGES,
      mean_kb: Number((totalBytes / MESSAGES / 1024).toFixed(1)),
      e2e_msgs_per_s: Number(rate.toFixed(1)),
      e2e_mb_per_s: Number((totalBytes / seconds / 1024 / 1024).toFixed(2)),
      ceiling_msgs_per_s: Number(ceilingRate.toFixed(1)),
      ceiling_cpu_seconds: ceiling.cpuSeconds,
      ratio: Number((rate / ceilingRate).toFixed(3)),
      p50_ms: latency.p50,
      p99_ms: latency.p99,
      ...figures,
    };
    printResult(result, options.json);
    await run('deploy/local/mailbox.sh', ['delete', mailbox]).catch(() => undefined);
  });
}

runBench('bench', () => (options.rate === null ? drain() : steadyLoad(options, DIRECTORY)));
