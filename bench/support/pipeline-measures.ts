import { archivedRecordSchema, decodeRecord, RECORD_HEADERS, rejectedRecordSchema, TOPICS } from '#contracts';
import { headerString } from '#kafka';
import { mailboxCount, type Pipeline, type ServiceName } from '#test-support';
import { CpuMeter, dovecotPid, kafkaPid, peakRssMb, percentile } from './measure.js';

// What the whole-pipeline benchmarks read off a run: CPU and memory per process, when each
// message was extracted and decided, and whether anything was lost or duplicated.

const SERVICES: ServiceName[] = ['poller', 'envelope', 'policy', 'status'];

/** A CPU meter over the pipeline's four services, the broker and Dovecot. */
export function pipelineCpuMeter(pipeline: Pipeline): CpuMeter {
  return new CpuMeter({
    ...Object.fromEntries(SERVICES.map((name) => [name, pipeline.services.get(name)?.process.pid])),
    kafka: kafkaPid(),
    dovecot: dovecotPid(),
  });
}

/** Peak resident memory of each service so far, in MB. */
function servicesPeakRss(pipeline: Pipeline): Record<string, number> {
  return Object.fromEntries(SERVICES.map((name) => [name, peakRssMb(pipeline.services.get(name)?.process.pid)]));
}

export interface DecidedMessage {
  /** SHA-256 of the message as extracted. */
  sha256: string;
  extractedAt: number;
  decidedAt: number;
}

/** Every archive and rejection of the connector, with when it was extracted and decided (ms since the epoch). */
async function decidedMessages(pipeline: Pipeline, connectorId: string): Promise<DecidedMessage[]> {
  const decided: DecidedMessage[] = [];
  await pipeline.readTopics([TOPICS.archived, TOPICS.rejected], (record) => {
    const meta = headerString(record.headers, RECORD_HEADERS.meta);
    if (record.topic === TOPICS.archived) {
      const r = decodeRecord(archivedRecordSchema, meta);
      if (r.connectorId === connectorId)
        decided.push({
          sha256: r.sha256Before,
          extractedAt: Date.parse(r.extractedAt),
          decidedAt: Date.parse(r.archivedAt),
        });
    } else {
      const r = decodeRecord(rejectedRecordSchema, meta);
      if (r.connectorId === connectorId)
        decided.push({ sha256: r.sha256, extractedAt: Date.parse(r.extractedAt), decidedAt: Date.parse(r.rejectedAt) });
    }
  });
  return decided;
}

/** Messages of `expected` that reached no outcome (or stayed in the mailbox), and those extracted or archived twice. */
async function conservation(
  pipeline: Pipeline,
  connectorId: string,
  mailbox: string,
  expected: number,
): Promise<{ lost: number; duplicated: number }> {
  const report = await pipeline.reconcile(connectorId);
  const leftInMailbox = await mailboxCount(mailbox);
  return {
    lost: report.missing.length + Math.max(0, expected - report.raw) + leftInMailbox,
    duplicated: report.duplicated.length + report.archivedTwice.length + Math.max(0, report.raw - expected),
  };
}

/** Waits until the connector has extracted `expected` messages and none is still being processed. */
async function waitForOutcomes(
  pipeline: Pipeline,
  connectorId: string,
  expected: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const status = await pipeline.status(connectorId).catch(() => undefined);
    if (status && status.counters.extracted >= expected && status.processingQueue === 0) return;
    if (performance.now() > deadline)
      throw new Error(
        `the pipeline did not decide ${expected} messages within ${Math.round(timeoutMs / 60_000)} minutes`,
      );
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface PipelineRun {
  /** performance.now() when the last message was decided. */
  finishedAt: number;
  decided: DecidedMessage[];
  /** The figures both pipeline benchmarks end their result with. */
  figures: {
    lost: number;
    duplicated: number;
    peak_rss_mb: Record<string, number>;
    cpu_seconds: Record<string, number>;
    machine_busy: number;
    cpu_ms_per_msg: number;
    pipeline_cpu_ms_per_msg: number;
  };
}

/**
 * Waits until all `expected` messages of the connector are decided, stops the meter, and reads
 * off the run: every decided message, conservation, peak RSS and CPU (per message: the whole
 * machine's busy time, and the pipeline's own processes only).
 */
export async function finishPipelineRun(
  pipeline: Pipeline,
  meter: CpuMeter,
  run: { connectorId: string; mailbox: string; expected: number; timeoutMs: number },
): Promise<PipelineRun> {
  await waitForOutcomes(pipeline, run.connectorId, run.expected, run.timeoutMs);
  const finishedAt = performance.now();
  const { cpu, busySeconds, namedSeconds, machineBusy } = meter.stop();
  const peakRss = servicesPeakRss(pipeline);
  const decided = await decidedMessages(pipeline, run.connectorId);
  const { lost, duplicated } = await conservation(pipeline, run.connectorId, run.mailbox, run.expected);
  const perMessage = (seconds: number) => Number(((seconds * 1000) / run.expected).toFixed(2));
  return {
    finishedAt,
    decided,
    figures: {
      lost,
      duplicated,
      peak_rss_mb: peakRss,
      cpu_seconds: cpu,
      machine_busy: machineBusy,
      cpu_ms_per_msg: perMessage(busySeconds),
      pipeline_cpu_ms_per_msg: perMessage(namedSeconds),
    },
  };
}

/** p50 and p99 of `values` (sorted in place). */
export function percentiles(values: number[]): { p50: number; p99: number } {
  values.sort((a, b) => a - b);
  return { p50: percentile(values, 50), p99: percentile(values, 99) };
}
