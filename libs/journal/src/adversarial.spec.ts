import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { classify, dedupKey, DirectoryIndex, parseJournalMessage, parseJournalStream } from './index.js';
import { htmlToText } from './envelope/html-to-text.js';
import { ADVERSARIAL_KINDS, adversarialKind, report } from '../../../test/support/journal/adversarial-inputs.js';
import { asAsync, chunked } from '../../../test/support/journal/report-builder.js';

// Hostile inputs far beyond real mail: each gets a clear outcome in both parser modes. How the
// time grows with the size is measured by `npm run bench:adversarial`, not asserted here.

const KINDS = ['journal', 'journal-defective', 'plain'];
const directory = new DirectoryIndex({ domains: [{ domain: 'contoso.com' }], addresses: [] });

async function parseBoth(raw: Buffer, chunkBytes = 64 * 1024) {
  const parsed = parseJournalMessage(raw, { journalType: 'envelope' });
  const streamed = await parseJournalStream(asAsync(chunked(raw, [chunkBytes])), { journalType: 'envelope' });
  return { parsed, streamed };
}

describe('adversarial inputs', () => {
  it.each(ADVERSARIAL_KINDS.map((kind) => [kind.name, kind] as const))(
    '%s at 2 MB: a result in both modes, and they agree',
    async (_name, kind) => {
      const raw = kind.build(2 * 1024 * 1024);
      const { parsed, streamed } = await parseBoth(raw);
      expect(KINDS).toContain(parsed.kind);
      const { dedupKey: key, sha256: _sha, size, ...rest } = streamed;
      expect(rest).toEqual(parsed);
      expect(size).toBe(raw.length);
      expect(key).toEqual(dedupKey(raw, parsed));
      expect(classify(parsed, directory).participants.length).toBe(parsed.participants.length);
    },
    60_000,
  );

  it('keeps every member of a 150,000-member distribution list', async () => {
    const raw = adversarialKind('distribution-list').build(150_000 * 56);
    const { parsed, streamed } = await parseBoth(raw);
    expect(parsed.kind).toBe('journal');
    expect(parsed.recipients).toHaveLength(150_000);
    expect(parsed.recipients[149_999]).toEqual({
      address: 'member149999@contoso.com',
      type: 'to',
      via: 'expanded',
      viaAddress: 'everyone@contoso.com',
    });
    expect(streamed.recipients).toHaveLength(150_000);
  });

  it('collapses duplicate recipient lines, however many', () => {
    const line = 'To: bob@contoso.com, Expanded: all@contoso.com\r\n';
    const raw = report({
      envelope: `Sender: alice@contoso.com\r\nMessage-ID: <A1@contoso.com>\r\n${line.repeat(100_000)}Cc: bob@contoso.com`,
    });
    const parsed = parseJournalMessage(raw, { journalType: 'envelope' });
    expect(parsed.recipients).toEqual([
      { address: 'bob@contoso.com', type: 'to', via: 'expanded', viaAddress: 'all@contoso.com' },
      { address: 'bob@contoso.com', type: 'cc' },
    ]);
  });

  it('merges a header address list of 100,000 addresses, repeated, once each', () => {
    const list = Array.from({ length: 100_000 }, (_, i) => `u${i}@contoso.com`).join(', ');
    const raw = Buffer.from(
      `From: a@contoso.com\r\nTo: ${list}\r\nTo: ${list}\r\nCc: "x, y" <u1@contoso.com>\r\n\r\nbody`,
    );
    const parsed = parseJournalMessage(raw, { journalType: 'eml', limits: { maxHeaderBlockBytes: 8 << 20 } });
    expect(parsed.kind).toBe('plain');
    expect(parsed.report.to).toHaveLength(100_000);
    expect(parsed.report.cc).toEqual(['u1@contoso.com']);
  });

  it('marks a report over the envelope line limit or the header limit limit-exceeded', () => {
    const lines = parseJournalMessage(adversarialKind('distribution-list').build(250_000 * 56), {
      journalType: 'envelope',
    });
    expect(lines.kind).toBe('journal-defective');
    expect(lines.defects).toContain('limit-exceeded');
    expect(lines.recipients.length).toBeLessThan(200_000);
    const bomb = parseJournalMessage(adversarialKind('header-bomb').build(4 << 20), { journalType: 'envelope' });
    expect(bomb.defects).toContain('limit-exceeded');
  });

  it('reads HTML envelopes with unclosed comments, scripts and tags', async () => {
    for (const name of ['html-unclosed-comment', 'html-unclosed-script', 'html-unclosed-tags']) {
      const { parsed } = await parseBoth(adversarialKind(name).build(1 << 20));
      expect(parsed.envelope?.sender).toBe('alice@contoso.com');
      expect(parsed.envelope?.messageId).toBe('<A1@contoso.com>');
    }
    // an unclosed element or comment stays text up to the next `>`, which ends it as a tag
    expect(htmlToText('<p>To: a@x</p><!-- c --><SCRIPT>x</script >b<style>y<!--<br>z')).toBe('To: a@x\nbyz');
    expect(htmlToText('a <!-- never closed <br> b')).toBe('a  b');
    expect(htmlToText('x < y and 1<2')).toBe('x < y and 1<2');
  });

  it('does not descend into MIME nested thousands deep, and still finds the original', async () => {
    const { parsed } = await parseBoth(adversarialKind('mime-nesting').build(4 << 20));
    expect(parsed.originals.map((original) => original.role)).toEqual(['primary']);
    const nested = await parseBoth(adversarialKind('nested-rfc822').build(4 << 20));
    expect(nested.parsed.kind).toBe('journal');
  });

  it('gives a result for a Message-ID of megabytes of unbalanced angle brackets', () => {
    const raw = adversarialKind('long-message-id').build(4 << 20);
    const parsed = parseJournalMessage(raw, { journalType: 'envelope', limits: { maxHeaderBlockBytes: 8 << 20 } });
    expect(parsed.kind).toBe('journal');
    expect(dedupKey(raw, parsed).messageId?.length).toBeGreaterThan(1 << 20);
  });
});

const gc = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

describe('parseJournalStream on hostile 48 MB inputs', () => {
  // The input buffer exists before the baseline and chunks are views of it; GC is forced before
  // each sample, so the growth is what the parser keeps reachable.
  it.each(['long-header-line', 'boundary-padding', 'base64-garbage', 'quoted-printable-envelope', 'no-line-breaks'])(
    '%s: memory stays far below the input size',
    async (name) => {
      const raw = adversarialKind(name).build(48 << 20);
      gc();
      const baseline = process.memoryUsage();
      let peak = 0;
      let count = 0;
      async function* chunks(): AsyncGenerator<Buffer> {
        for (const chunk of chunked(raw, [64 * 1024])) {
          if (++count % 64 === 0) {
            gc();
            const usage = process.memoryUsage();
            peak = Math.max(peak, usage.heapUsed + usage.arrayBuffers - baseline.heapUsed - baseline.arrayBuffers);
          }
          yield chunk;
        }
      }
      const parsed = await parseJournalStream(chunks(), { journalType: 'envelope' });
      expect(KINDS).toContain(parsed.kind);
      expect(parsed.size).toBe(raw.length);
      expect(peak).toBeLessThan(40 << 20);
    },
    60_000,
  );
});
