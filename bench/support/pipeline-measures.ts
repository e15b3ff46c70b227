import { archivedRecordSchema, decodeRecord, RECORD_HEADERS, rejectedRecordSchema, TOPICS } from '#contracts';
import { headerString } from '#kafka';
import { mailboxCount, type Pipeline } from '#test-support';
import { percentile } from './measure.js';

// What the whole-pipeline benchmarks read off the topics after a run: when each message was
// extracted and decided, and whether anything was lost or duplicated.

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

/** p50 and p99 of `values` (sorted in place). */
export function percentiles(values: number[]): { p50: number; p99: number } {
  values.sort((a, b) => a - b);
  return { p50: percentile(values, 50), p99: percentile(values, 99) };
}

/** CPU per message: the whole machine's busy time, and the metered processes' only. */
export function cpuPerMessage(
  run: { busySeconds: number; namedSeconds: number },
  messages: number,
): { cpu_ms_per_msg: number; pipeline_cpu_ms_per_msg: number } {
  const perMessage = (seconds: number) => Number(((seconds * 1000) / messages).toFixed(2));
  return { cpu_ms_per_msg: perMessage(run.busySeconds), pipeline_cpu_ms_per_msg: perMessage(run.namedSeconds) };
}
