import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classify, dedupKey, DirectoryIndex, parseJournalMessage, parseJournalStream } from './index.js';
import { ADVERSARIAL_KINDS, report } from '../../../test/support/journal/adversarial-inputs.js';
import { SAMPLE_FILES, sample } from '../../../test/support/journal/fixtures.js';
import { asAsync, chunked } from '../../../test/support/journal/report-builder.js';

// Arbitrary bytes up to 10 MB, and near-valid reports with hostile mutations: the parser never
// throws (parseJournalMessage) and never rejects (parseJournalStream, whose input cannot fail
// here), and both modes give the same result. Large inputs are built from repeated segments, so
// generating them stays cheap: few large runs, many small ones.

const KINDS = ['journal', 'journal-defective', 'plain'];
const directory = new DirectoryIndex({ domains: [{ domain: 'contoso.com' }], addresses: [] });

/** Pieces that steer the parser into its paths: structure, delimiters, encodings, markup. */
const TOKENS = [
  '\r\n',
  '\n',
  '\r',
  '\r\n\r\n',
  ' ',
  '\t',
  ':',
  ',',
  '<',
  '>',
  '"',
  '(',
  '=',
  '=\r\n',
  '=?utf-8?q?',
  '?=',
  '--',
  `--_adversarial-4e8b1d2c_`,
  `--_adversarial-4e8b1d2c_--\r\n`,
  'X-MS-Journal-Report:\r\n',
  'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n',
  'Content-Type: message/rfc822\r\n\r\n',
  'Content-Type: text/html\r\n\r\n',
  'Content-Transfer-Encoding: base64\r\n',
  'Content-Transfer-Encoding: quoted-printable\r\n',
  'To: a@contoso.com, Expanded: g@contoso.com\r\n',
  'Recipients: a@b, "c, d" <e@f>,\r\n',
  'Message-ID: <',
  '<!--',
  '<script>',
  '<br',
  '&#x',
  '\x00',
  '\xff',
].map((token) => Buffer.from(token, 'latin1'));

const segment = (maxRepeat: number) =>
  fc.tuple(
    fc.oneof(
      fc.constantFrom(...TOKENS),
      fc.uint8Array({ minLength: 1, maxLength: 48 }).map((bytes) => Buffer.from(bytes)),
    ),
    fc.integer({ min: 1, max: maxRepeat }),
  );

/** Bytes made of repeated segments, cut at `maxBytes`. */
function bytesUpTo(maxBytes: number, maxSegments: number, maxRepeat: number): fc.Arbitrary<Buffer> {
  return fc.array(segment(maxRepeat), { minLength: 0, maxLength: maxSegments }).map((segments) => {
    const out = Buffer.allocUnsafe(maxBytes);
    let length = 0;
    for (const [piece, repeat] of segments) {
      for (let i = 0; i < repeat && length < maxBytes; i++) length += piece.copy(out, length);
      if (length >= maxBytes) break;
    }
    return out.subarray(0, length);
  });
}

const journalType = fc.constantFrom('envelope', 'eml') as fc.Arbitrary<'envelope' | 'eml'>;

async function expectClearOutcome(raw: Buffer, type: 'envelope' | 'eml', chunkBytes: number): Promise<void> {
  const parsed = parseJournalMessage(raw, { journalType: type });
  expect(KINDS).toContain(parsed.kind);
  dedupKey(raw, parsed);
  classify(parsed, directory);
  const {
    dedupKey: key,
    sha256: _sha,
    size,
    ...streamed
  } = await parseJournalStream(asAsync(chunked(raw, [chunkBytes])), { journalType: type });
  expect(size).toBe(raw.length);
  expect(streamed).toEqual(parsed);
  expect(key).toEqual(dedupKey(raw, parsed));
}

type Mutation = { at: number; remove: number; insert: Buffer };

const mutation: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  remove: fc.integer({ min: 0, max: 64 }),
  insert: bytesUpTo(256 * 1024, 3, 20_000),
});

function mutate(raw: Buffer, mutations: readonly Mutation[]): Buffer {
  let bytes = raw;
  for (const { at, remove, insert } of mutations) {
    const position = bytes.length === 0 ? 0 : at % bytes.length;
    bytes = Buffer.concat([bytes.subarray(0, position), insert, bytes.subarray(position + remove)]);
  }
  return bytes;
}

const nearValid: fc.Arbitrary<Buffer> = fc.oneof(
  fc.constantFrom(...SAMPLE_FILES).map((file) => sample(file.slice(0, 2))),
  fc.constant(report({})),
  fc.constantFrom(...ADVERSARIAL_KINDS).map((kind) => kind.build(4096)),
);

describe('hostile input never makes the parser throw', () => {
  it('arbitrary bytes up to 64 KB, in both modes and any chunking', async () => {
    await fc.assert(
      fc.asyncProperty(bytesUpTo(64 * 1024, 12, 2000), journalType, fc.integer({ min: 1, max: 4096 }), (raw, t, c) =>
        expectClearOutcome(raw, t, c),
      ),
      { numRuns: 150 },
    );
  });

  it('arbitrary bytes up to 10 MB, in both modes', async () => {
    await fc.assert(
      fc.asyncProperty(bytesUpTo(10 * 1024 * 1024, 6, 2_000_000), journalType, (raw, t) =>
        expectClearOutcome(raw, t, 64 * 1024),
      ),
      { numRuns: 4 },
    );
  }, 120_000);

  it('near-valid reports with hostile insertions and deletions, in both modes', async () => {
    await fc.assert(
      fc.asyncProperty(
        nearValid,
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 1, max: 70_000 }),
        (raw, mutations, chunkBytes) => expectClearOutcome(mutate(raw, mutations), 'envelope', chunkBytes),
      ),
      { numRuns: 60 },
    );
  }, 120_000);
});
