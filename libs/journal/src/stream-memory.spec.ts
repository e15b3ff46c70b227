import { createHash } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { parseJournalStream } from './index.js';
import { buildReport } from '../../../test/support/journal/report-builder.js';

const REPORT_BYTES = 100 * 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;
const PLACEHOLDER = '\u0000BODY\u0000';

/** A ~100 MB journal report, generated chunk by chunk: a base64 attachment body in the original. */
function hugeReport() {
  const template = buildReport({
    sender: 'alice@contoso.com',
    subject: 'Quarterly archive',
    messageId: '<HUGE-1@EXMBX01.contoso.com>',
    recipients: [
      { address: 'bob@contoso.com', type: 'to' },
      { address: 'legal@contoso.com', type: 'bcc' },
    ],
    originalBody: PLACEHOLDER,
  });
  const at = template.indexOf(PLACEHOLDER);
  const head = template.subarray(0, at);
  const tail = template.subarray(at + Buffer.byteLength(PLACEHOLDER));
  const line = Buffer.from(`${'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo'.repeat(2).slice(0, 76)}\r\n`, 'latin1');
  const template64k = Buffer.concat(Array.from({ length: Math.floor(CHUNK_BYTES / line.length) }, () => line));
  const chunkCount = Math.ceil(REPORT_BYTES / template64k.length);
  const originalStart = head.lastIndexOf('\r\n\r\nFrom: ') + 4;
  const bodyBytes = chunkCount * template64k.length;
  return {
    chunkCount,
    originalStart,
    originalEnd: head.length + bodyBytes,
    size: head.length + bodyBytes + tail.length,
    async *chunks(freshBuffers: boolean, onChunk: () => void): AsyncGenerator<Buffer> {
      yield Buffer.from(head);
      for (let i = 0; i < chunkCount; i++) {
        yield freshBuffers ? Buffer.from(template64k) : template64k;
        if (i % 64 === 0) onChunk();
      }
      yield Buffer.from(tail);
    },
    async expectedHashes(): Promise<{ original: string; whole: string }> {
      const original = createHash('sha256').update(head.subarray(originalStart));
      const whole = createHash('sha256').update(head);
      for (let i = 0; i < chunkCount; i++) {
        original.update(template64k);
        whole.update(template64k);
      }
      whole.update(tail);
      return { original: original.digest('hex'), whole: whole.digest('hex') };
    },
  };
}

const gc = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

function memoryInUse(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

describe('parseJournalStream on a 100 MB report', () => {
  // Two views of "bounded": the parser's own allocations (one reused input buffer, no forced
  // GC, so garbage counts too), and what stays reachable when every chunk is a fresh buffer
  // as a socket delivers it (GC forced before each sample, so the producer's garbage does not).
  it.each([
    { freshBuffers: false, forceGc: false },
    { freshBuffers: true, forceGc: true },
  ])(
    'keeps memory far below the report size and hashes the original on the way (%o)',
    async ({ freshBuffers, forceGc }) => {
      const report = hugeReport();
      const sample = () => {
        if (forceGc) gc();
        return memoryInUse();
      };
      const baseline = sample();
      let peak = baseline;
      const parsed = await parseJournalStream(
        report.chunks(freshBuffers, () => {
          peak = Math.max(peak, sample());
        }),
        { journalType: 'envelope' },
      );
      const growth = peak - baseline;
      expect(report.size).toBeGreaterThan(REPORT_BYTES);
      expect(growth).toBeLessThan(40 * 1024 * 1024);
      expect(parsed).toMatchObject({ kind: 'journal', defects: [], sender: 'alice@contoso.com', size: report.size });
      expect(parsed.recipients.map((r) => r.address)).toEqual(['bob@contoso.com', 'legal@contoso.com']);
      expect(parsed.originals).toEqual([
        { role: 'primary', mediaType: 'message/rfc822', start: report.originalStart, end: report.originalEnd },
      ]);
      const expected = await report.expectedHashes();
      expect(parsed.dedupKey).toEqual({ messageId: 'HUGE-1@EXMBX01.contoso.com', contentHash: expected.original });
      expect(parsed.sha256).toBe(expected.whole);
      console.info(
        `100 MB report (fresh buffers: ${freshBuffers}, forced GC: ${forceGc}): peak growth ${(growth / 1048576).toFixed(1)} MiB`,
      );
    },
    60_000,
  );
});
