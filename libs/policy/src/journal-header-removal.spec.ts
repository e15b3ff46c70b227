import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJournalMessage } from '#journal';
import { JournalHeaderRemover, removeJournalHeaders, shiftRanges } from './index.js';

const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/journal/', import.meta.url));
const SAMPLES = readdirSync(FIXTURES)
  .filter((name) => name.endsWith('.eml'))
  .sort();
const sample = (number: string) => readFileSync(`${FIXTURES}${SAMPLES.find((name) => name.startsWith(`${number}-`))}`);
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function removeStreaming(
  raw: Buffer,
  chunkSize: number,
): Promise<{ bytes: Buffer; removed: unknown[]; ranges: unknown[] }> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < raw.length; i += chunkSize) chunks.push(raw.subarray(i, i + chunkSize));
  const remover = new JournalHeaderRemover();
  const out: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    Readable.from(chunks)
      .pipe(remover)
      .on('data', (chunk: Buffer) => out.push(chunk))
      .on('end', resolve)
      .on('error', reject);
  });
  return { bytes: Buffer.concat(out), removed: remover.removed, ranges: remover.ranges };
}

/** A message with BCC headers at the top level, in two originals, in bodies and deeper down. */
function crafted(eol: string): { raw: Buffer; expected: Buffer } {
  const keep = (lines: string[]) => lines.join(eol);
  const parts = {
    top: [
      'Content-Type: multipart/mixed; boundary="outer"',
      'x-ms-exchange-organization-bcc: top@contoso.com',
      'X-MS-Journal-Report:',
      'Subject: crafted',
      '',
    ],
    envelope: [
      '--outer',
      'Content-Type: text/plain',
      '',
      'Sender: a@contoso.com',
      'X-MS-Exchange-Organization-BCC: envelope decoy',
      'To: b@contoso.com',
      '',
    ],
    first: ['--outer', 'Content-Type: message/rfc822', '', 'From: a@contoso.com', 'X-MS-Exchange-CrossPremises-BCC:'],
    firstRest: [
      'Subject: first',
      'X-MS-EXCHANGE-ORGANIZATION-BCC: "Board"',
      '\t<board@contoso.com>,',
      ' legal@contoso.com',
    ],
    firstBody: [
      'Content-Type: multipart/mixed; boundary="inner"',
      '',
      'X-MS-Exchange-Organization-BCC: body decoy',
      '--inner',
      'Content-Type: message/rfc822',
      '',
      'X-MS-Exchange-Organization-BCC: nested@contoso.com',
      'Subject: nested',
      '',
      'nested body',
      '--inner--',
      '',
    ],
    second: [
      '--outer',
      'Content-Type: message/rfc822',
      '',
      'Subject: second',
      'X-MS-Exchange-Organization-BCC-Other: kept',
      'X-MS-Exchange-Organization-BCC: c@contoso.com',
      '',
      'second body',
      '--outer--',
      '',
    ],
  };
  const raw = keep([
    ...parts.top,
    ...parts.envelope,
    ...parts.first,
    ...parts.firstRest,
    ...parts.firstBody,
    ...parts.second,
  ]);
  const expected = keep([
    ...parts.top.filter((line) => !line.startsWith('x-ms-exchange-organization-bcc')),
    ...parts.envelope,
    ...parts.first.slice(0, -1),
    'Subject: first',
    ...parts.firstBody,
    ...parts.second.filter((line) => !line.startsWith('X-MS-Exchange-Organization-BCC: ')),
  ]);
  return { raw: Buffer.from(raw, 'latin1'), expected: Buffer.from(expected, 'latin1') };
}

describe('removeJournalHeaders (docs §8)', () => {
  it('04: removes the folded X-MS-Exchange-Organization-BCC (2 lines) from the original', () => {
    const raw = sample('04');
    const handCrafted = Buffer.from(
      raw
        .toString('latin1')
        .replace(
          'X-MS-Exchange-Organization-BCC: "legal@contoso.com" <legal@contoso.com>, Board\r\n\t<board@contoso.com>\r\n',
          '',
        ),
      'latin1',
    );
    const result = removeJournalHeaders(raw);
    expect(result.removed).toEqual([{ field: 'X-MS-Exchange-Organization-BCC', where: 'original', index: 0 }]);
    expect(sha256(result.bytes)).toBe('ab9bb35ac4a6532f60c23a6c91f3bccc20a69cb819266973e6f2b1b9c7601109');
    expect(result.bytes).toEqual(handCrafted);
    expect(raw.length - result.bytes.length).toBe(102);
  });

  it('05: removes the empty X-MS-Exchange-CrossPremises-BCC and keeps its look-alikes', () => {
    const raw = sample('05');
    const result = removeJournalHeaders(raw);
    expect(result.removed).toEqual([{ field: 'X-MS-Exchange-CrossPremises-BCC', where: 'original', index: 0 }]);
    expect(sha256(result.bytes)).toBe('1fb139cdba4fff00f8ea58603058744a60fd5e9f8f7ca18c17c1cd2e24843f59');
    expect(result.bytes.toString('latin1')).toContain(
      'X-MS-Exchange-CrossPremises-Processed-By-Journaling: Journal Agent\r\n',
    );
  });

  it.each(SAMPLES.filter((name) => !/^0[45]-/.test(name)))('%s: nothing to remove returns the same Buffer', (name) => {
    const raw = sample(name.slice(0, 2));
    const result = removeJournalHeaders(raw);
    expect(result.removed).toEqual([]);
    expect(result.bytes).toBe(raw);
  });

  it.each(['\r\n', '\n'])(
    'removes top-level and per-original fields only, keeping decoys and nested messages (%j)',
    (eol) => {
      const { raw, expected } = crafted(eol);
      const result = removeJournalHeaders(raw);
      expect(result.bytes.toString('latin1')).toBe(expected.toString('latin1'));
      expect(result.removed).toEqual([
        { field: 'x-ms-exchange-organization-bcc', where: 'top-level' },
        { field: 'X-MS-Exchange-CrossPremises-BCC', where: 'original', index: 0 },
        { field: 'X-MS-EXCHANGE-ORGANIZATION-BCC', where: 'original', index: 0 },
        { field: 'X-MS-Exchange-Organization-BCC', where: 'original', index: 1 },
      ]);
    },
  );

  it.each(SAMPLES)('%s: using the parse gives the same result as walking the MIME structure', (name) => {
    const raw = sample(name.slice(0, 2));
    expect(removeJournalHeaders(raw, parseJournalMessage(raw, { journalType: 'envelope' }))).toEqual(
      removeJournalHeaders(raw),
    );
  });

  it.each(['04', '05'])(
    '%s: the originals, shifted past the removed fields, are where a parse of the result finds them',
    (name) => {
      const raw = sample(name);
      const result = removeJournalHeaders(raw);
      expect(result.ranges.length).toBe(result.removed.length);
      const before = parseJournalMessage(raw, { journalType: 'envelope' }).originals;
      const after = parseJournalMessage(result.bytes, { journalType: 'envelope' }).originals;
      expect(after.length).toBeGreaterThan(0);
      expect(shiftRanges(before, result.ranges)).toEqual(after);
    },
  );

  it('shifts both ends of a range that contains removed bytes, and leaves earlier ones', () => {
    const removed = [
      { start: 10, end: 15 },
      { start: 40, end: 42 },
    ];
    expect(
      shiftRanges(
        [
          { start: 0, end: 10 },
          { start: 20, end: 50 },
          { start: 12, end: 41 },
        ],
        removed,
      ),
    ).toEqual([
      { start: 0, end: 10 },
      { start: 15, end: 43 },
      { start: 10, end: 35 },
    ]);
  });

  it('uses the parse for crafted reports too', () => {
    const { raw, expected } = crafted('\r\n');
    expect(removeJournalHeaders(raw, parseJournalMessage(raw, { journalType: 'envelope' })).bytes).toEqual(expected);
  });
});

describe('JournalHeaderRemover (streaming)', () => {
  it.each([1, 7, 64, 65536])('gives the same bytes as the buffer form (chunks of %i)', async (chunkSize) => {
    for (const raw of [sample('04'), sample('05'), sample('03'), crafted('\r\n').raw, crafted('\n').raw]) {
      const expected = removeJournalHeaders(raw);
      const streamed = await removeStreaming(raw, chunkSize);
      expect(streamed.bytes.toString('latin1')).toBe(expected.bytes.toString('latin1'));
      expect(streamed.removed).toEqual(expected.removed);
      expect(streamed.ranges).toEqual(expected.ranges);
    }
  });

  it('passes a large message through with bounded hold-back', async () => {
    const { raw } = crafted('\r\n');
    const big = Buffer.from(
      raw.toString('latin1').replace('second body', `second body\r\n${'x'.repeat(76)}\r\n`.repeat(60_000)),
      'latin1',
    );
    const streamed = await removeStreaming(big, 16 * 1024);
    const expected = removeJournalHeaders(big);
    expect(expected.removed).toHaveLength(4);
    expect(streamed.bytes.equals(expected.bytes)).toBe(true); // toEqual on megabytes is slow
  });

  it('agrees with the buffer form on mutated inputs (property)', async () => {
    const base = crafted('\r\n').raw;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(
            fc.nat(),
            fc.constantFrom('\r\n', '\n', '--outer', 'X-MS-Exchange-Organization-BCC: z\r\n', ' ', ':'),
          ),
          { maxLength: 5 },
        ),
        fc.integer({ min: 1, max: 50 }),
        async (edits, chunkSize) => {
          let text = base.toString('latin1');
          for (const [at, insert] of edits)
            text = text.slice(0, at % text.length) + insert + text.slice(at % text.length);
          const raw = Buffer.from(text, 'latin1');
          const streamed = await removeStreaming(raw, chunkSize);
          const expected = removeJournalHeaders(raw);
          expect(streamed.bytes).toEqual(expected.bytes);
          expect(streamed.removed).toEqual(expected.removed);
        },
      ),
      { numRuns: 200 },
    );
  });
});
