import { archivedRecordSchema, decodeRecord, RECORD_HEADERS, rejectedRecordSchema, TOPICS } from '#contracts';
import { headerString } from '#kafka';
import { mailboxCount, type Pipeline, type ServiceName } from '#test-support';
import { CpuMeter, dovecotPid, kafkaPid, peakRssMb } from './measure.js';

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
export function servicesPeakRss(pipeline: Pipeline): Record<string, number> {
  return Object.fromEntries(SERVICES.map((name) => [name, peakRssMb(pipeline.services.get(name)?.process.pid)]));
}

export interface DecidedMessage {
  /** SHA-256 of the message as extracted. */
  sha256: string;
  extractedAt: number;
  decidedAt: number;
}

/** Every archive and rejection of the connector, with when it was extracted and decided (ms since the epoch). */
export async function decidedMessages(pipeline: Pipeline, connectorId: string): Promise<DecidedMessage[]> {
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
export async function conservation(
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
export async function waitForOutcomes(
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
