import { createHash } from 'node:crypto';
import { chownSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConnectorStatusView } from '#contracts';
import { testEnv, type ServiceName } from '#test-support';
import {
  benchConnectorSettings,
  benchReports,
  execFileAsync as run,
  printResult,
  servicesCpuMeter,
  servicesPeakRss,
  waitForStatus,
  warmUp,
  withBenchPipeline,
  serviceNodeOptions,
  type BenchOptions,
} from '../support/measure.js';
import { conservation, cpuPerMessage, decidedMessages, percentiles } from '../support/pipeline-measures.js';

/** The shortest poll interval a connector accepts: the wait a message sees before its session starts. */
const POLL_INTERVAL_SECONDS = 5;
/** Every one of `count` reports extracted and decided. */
const allDecided = (status: ConnectorStatusView, count: number) =>
  status.counters.extracted >= count && status.processingQueue === 0;
/** Deliveries per second, each of rate / TICKS_PER_SECOND reports. */
const TICKS_PER_SECOND = 4;

/**
 * Delivers as a mail server does into a Maildir: each message written to tmp/ and renamed into
 * new/, owned by the mail user (mailbox.sh's `doveadm import` is too slow for a steady rate).
 */
function maildirDelivery(mailbox: string): (files: Buffer[]) => void {
  const maildir = join(testEnv.runDir, 'dovecot', 'mail', mailbox, 'Maildir');
  const { uid, gid } = statSync(maildir);
  let sequence = 0;
  return (files) => {
    for (const bytes of files) {
      const name = `${Math.floor(Date.now() / 1000)}.M${sequence++}P${process.pid}.jwbench`;
      const staged = join(maildir, 'tmp', name);
      writeFileSync(staged, bytes);
      chownSync(staged, uid, gid);
      renameSync(staged, join(maildir, 'new', name));
    }
  };
}

/**
 * Steady load: an empty mailbox receives `rate` reports per second for `seconds`, while the
 * pipeline polls it every POLL_INTERVAL_SECONDS. Reports the latency from delivery to outcome (what
 * a user waits: at most one poll interval plus the pipeline) and from extraction to outcome (the
 * pipeline alone), with CPU per message over the run.
 */
export async function steadyLoad(
  options: BenchOptions,
  services: ServiceName[],
  directory: { domains: string[]; addresses: string[] },
): Promise<void> {
  const rate = options.rate!;
  if (options.repeat > 1) throw new Error('--repeat is not supported with --rate');
  const { files, totalBytes } = benchReports(options);
  const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

  const env = { LOG_LEVEL: 'warn', ...serviceNodeOptions(options) };
  await withBenchPipeline('journalwire_bench', env, async (pipeline) => {
    await pipeline.start();
    await pipeline.api('POST', '/v1/directory/import', directory);
    await warmUp(pipeline, options, services, (count) => (status) => allDecided(status, count));
    const meter = servicesCpuMeter(pipeline, services);
    const { id, mailbox } = await pipeline.connectorWithMailbox([], {
      ...benchConnectorSettings('bench-steady'),
      pollIntervalSeconds: POLL_INTERVAL_SECONDS,
    });
    const deliver = maildirDelivery(mailbox);
    options.log(`delivering ${rate} reports/s for ${options.seconds} s, polled every ${POLL_INTERVAL_SECONDS} s...`);
    meter.start();
    const started = performance.now();
    const deliveredAt = new Map<string, number>();
    let late = 0;
    const perTick = files.length / (options.seconds * TICKS_PER_SECOND);
    for (let tick = 0, sent = 0; sent < files.length; tick++) {
      const due = started + (tick * 1000) / TICKS_PER_SECOND;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      else late++;
      const upTo = Math.min(files.length, Math.round((tick + 1) * perTick));
      const batch = files.slice(sent, upTo);
      deliver(batch);
      const at = Date.now();
      for (const file of batch) deliveredAt.set(sha(file), at);
      sent = upTo;
    }
    const deliverySeconds = (performance.now() - started) / 1000;
    await waitForStatus(
      pipeline,
      id,
      (status) => allDecided(status, files.length),
      `bench: ${files.length} messages were not decided`,
    );
    const cpu = meter.stop();
    const peakRss = servicesPeakRss(pipeline, services);
    const decided = await decidedMessages(pipeline, id);
    const fromExtraction = percentiles(decided.map((m) => m.decidedAt - m.extractedAt));
    const fromDelivery = percentiles(
      decided.flatMap((m) => {
        const at = deliveredAt.get(m.sha256);
        return at === undefined ? [] : [m.decidedAt - at];
      }),
    );
    const result = {
      mode: 'steady',
      rate,
      seconds: options.seconds,
      messages: files.length,
      warmup_messages: options.warmup,
      mean_kb: Number((totalBytes / files.length / 1024).toFixed(1)),
      delivered_msgs_per_s: Number((files.length / deliverySeconds).toFixed(1)),
      late_deliveries: late,
      poll_interval_ms: POLL_INTERVAL_SECONDS * 1000,
      p50_ms: fromDelivery.p50,
      p99_ms: fromDelivery.p99,
      p99_over_poll_interval_ms: fromDelivery.p99 - POLL_INTERVAL_SECONDS * 1000,
      extract_to_outcome_p50_ms: fromExtraction.p50,
      extract_to_outcome_p99_ms: fromExtraction.p99,
      ...(await conservation(pipeline, id, mailbox, files.length)),
      peak_rss_mb: peakRss,
      cpu_seconds: cpu.cpu,
      v8_worker_seconds: cpu.v8Workers,
      machine_busy: cpu.machineBusy,
      ...cpuPerMessage(cpu, files.length),
    };
    printResult(result, options.json);
    await run('deploy/local/mailbox.sh', ['delete', mailbox]).catch(() => undefined);
  });
}
