import { describe, expect, it } from 'vitest';
import { CaptureSink, type ByteSink } from './byte-sink.js';
import { HeaderThenBody } from './header-then-body.js';
import { MultipartSplitter } from './multipart-splitter.js';
import { parseMediaType } from './content-type.js';
import { parseJournalMessage } from '../index.js';
import { buildReport, chunked, envelopeText } from '../../../../test/support/journal/report-builder.js';

/** Writes `text` (latin1) to `sink` in chunks of `sizes`, with the offsets, then ends it. */
function feed(sink: ByteSink, text: string, sizes: number[]): void {
  let offset = 0;
  for (const chunk of chunked(Buffer.from(text, 'latin1'), sizes)) {
    sink.write(chunk, offset);
    offset += chunk.length;
  }
  sink.end(offset);
}

interface SplitPart {
  start: number;
  end: number;
  bytes: string;
}

function split(
  body: string,
  boundary: string,
  sizes: number[] = [body.length || 1],
): { parts: SplitPart[]; closed: boolean } {
  const parts: SplitPart[] = [];
  const splitter = new MultipartSplitter(boundary, (_index, start) => {
    const capture = new CaptureSink();
    const part: SplitPart = { start, end: -1, bytes: '' };
    parts.push(part);
    const sink: ByteSink = {
      write: (chunk) => capture.write(chunk),
      end: (offset) => {
        part.end = offset;
        part.bytes = capture.bytes().toString('latin1');
      },
    };
    return sink;
  });
  feed(splitter, body, sizes);
  return { parts, closed: splitter.closed };
}

describe('multipart splitter', () => {
  const body =
    'preamble\r\n--b\r\nA: 1\r\n\r\none\r\n--b \t\r\n\r\ntwo\n--bx not a delimiter\r\n -b\r\n--b--\r\nepilogue\r\n--b\r\nignored';

  it('splits at delimiter lines, keeping the line break before a delimiter out of the part', () => {
    const { parts, closed } = split(body, 'b');
    expect(parts.map((p) => p.bytes)).toEqual(['A: 1\r\n\r\none', '\r\ntwo\n--bx not a delimiter\r\n -b']);
    expect(closed).toBe(true);
    for (const part of parts) expect(body.slice(part.start, part.end)).toBe(part.bytes);
  });

  it('gives the same parts in any chunking', () => {
    const expected = split(body, 'b').parts;
    for (const sizes of [[1], [2, 3], [5, 1, 7], [13]]) expect(split(body, 'b', sizes).parts).toEqual(expected);
  });

  it('ends an unclosed last part at the end of input', () => {
    const { parts, closed } = split('--b\nx\n--b\ny', 'b');
    expect(parts.map((p) => p.bytes)).toEqual(['x', 'y']);
    expect(closed).toBe(false);
  });

  it('needs the delimiter at a line start', () => {
    expect(split('text --b\r\nmore', 'b').parts).toEqual([]);
  });
});

describe('header blocks', () => {
  function read(text: string, max = 1024 * 1024, sizes = [text.length || 1]) {
    let header: { names: string[]; truncated: boolean; bodyStart: number } | null = null;
    const body = new CaptureSink();
    const reader = new HeaderThenBody(max, (block) => {
      header = { names: block.fields.map((f) => f.name), truncated: block.truncated, bodyStart: block.bodyStart };
      return body;
    });
    feed(reader, text, sizes);
    return {
      header: header as unknown as { names: string[]; truncated: boolean; bodyStart: number },
      body: body.bytes().toString('latin1'),
    };
  }

  it('ends at the first empty line, CRLF or LF, across chunks', () => {
    for (const sizes of [[1], [2], [100]]) {
      expect(read('A: 1\r\n\tcont\r\nB : 2\nnot a field\n\r\nbody\r\n\r\nmore', undefined, sizes)).toEqual({
        header: { names: ['A', 'B'], truncated: false, bodyStart: 33 },
        body: 'body\r\n\r\nmore',
      });
    }
  });

  it('has no header when the entity starts with an empty line, and no body without one', () => {
    expect(read('\r\nbody')).toEqual({ header: { names: [], truncated: false, bodyStart: 2 }, body: 'body' });
    expect(read('A: 1\r\nB: 2')).toEqual({ header: { names: ['A', 'B'], truncated: false, bodyStart: 10 }, body: '' });
  });

  it('truncates at the limit and streams the rest as body', () => {
    const { header, body } = read('A: 1\r\nB: 2\r\nC: 3\r\n\r\nbody', 12);
    expect(header).toEqual({ names: ['A', 'B'], truncated: true, bodyStart: 12 });
    expect(body).toBe('C: 3\r\n\r\nbody');
  });

  it('parses media types with quoted, continued and RFC 2231 parameters', () => {
    const type = parseMediaType(
      'Multipart/Mixed ; boundary="a;b" ; name*0="cor" ; name*1="rupt.eml"; title*=utf-8\'\'%C3%A9',
      'text/plain',
    );
    expect(type.type).toBe('multipart/mixed');
    expect(Object.fromEntries(type.params)).toEqual({ boundary: 'a;b', name: 'corrupt.eml', title: 'é' });
    expect(parseMediaType('garbage', 'text/plain').type).toBe('text/plain');
  });
});

const spec = {
  sender: 's@contoso.com',
  subject: 'Hello',
  messageId: '<m@contoso.com>',
  recipients: [{ address: 'r@contoso.com', type: 'to' as const }],
};

describe('report structure and limits (docs §5, §6, §10)', () => {
  it('takes the envelope from the first text/plain in a first multipart/alternative (Exchange 2003)', () => {
    const raw = Buffer.from(
      [
        'Content-Type: multipart/mixed; boundary="outer"',
        'Content-Identifer: ExJournalReport',
        '',
        '--outer',
        'Content-Type: multipart/alternative; boundary="alt"',
        '',
        '--alt',
        'Content-Type: text/plain; charset=us-ascii',
        '',
        'Sender: a@contoso.com',
        'Subject: s',
        'Message-ID: <m@contoso.com>',
        'Recipients: "B" <SMTP:b@contoso.com>,',
        '  "C" <SMTP:c@fabrikam.com>',
        '--alt',
        'Content-Type: text/html',
        '',
        '<p>ignored</p>',
        '--alt--',
        '--outer',
        'Content-Type: message/rfc822',
        '',
        'From: a@contoso.com',
        'Subject: s',
        '',
        'body',
        '--outer--',
        '',
      ].join('\r\n'),
    );
    const parsed = parseJournalMessage(raw, { journalType: 'envelope' });
    expect(parsed).toMatchObject({ kind: 'journal', sender: 'a@contoso.com', defects: ['folded-line'] });
    expect(parsed.report.marker).toBe('Content-Identifier');
    expect(parsed.envelope?.format).toBe('exchange-2003');
    expect(parsed.recipients).toEqual([
      { address: 'b@contoso.com', type: 'recipient' },
      { address: 'c@fabrikam.com', type: 'recipient' },
    ]);
  });

  it('falls back to a text/html envelope with markup stripped', () => {
    const text = envelopeText(spec);
    const markup = `<html><body>${text
      .split('\r\n')
      .map((line) => `<div>${line.replace('<', '&lt;').replace('>', '&gt;')}</div>`)
      .join('\r\n')}</body></html>\r\n`;
    const html = buildReport(spec)
      .toString('latin1')
      .replace('Content-Type: text/plain; charset="utf-8"', 'Content-Type: text/html; charset="utf-8"')
      .replace(text, markup);
    const parsed = parseJournalMessage(Buffer.from(html, 'latin1'), { journalType: 'envelope' });
    expect(parsed).toMatchObject({
      kind: 'journal',
      sender: 's@contoso.com',
      messageId: '<m@contoso.com>',
      recipients: spec.recipients,
    });
  });

  it('detects the transport name of the marker and ignores hints alone', () => {
    const transport = buildReport(spec)
      .toString('latin1')
      .replace('X-MS-Journal-Report:', 'x-ms-exchange-organization-journal-report: yes');
    expect(parseJournalMessage(Buffer.from(transport, 'latin1'), { journalType: 'envelope' }).report.marker).toBe(
      'X-MS-Exchange-Organization-Journal-Report',
    );
    const unmarked = buildReport(spec).toString('latin1').replace('X-MS-Journal-Report:\r\n', '');
    expect(parseJournalMessage(Buffer.from(unmarked, 'latin1'), { journalType: 'envelope' }).kind).toBe('plain');
  });

  it('flags no-envelope, an unparseable original and an unknown CTE', () => {
    const raw = buildReport(spec).toString('latin1');
    const noEnvelope = raw.replace('Content-Type: text/plain; charset="utf-8"', 'Content-Type: application/pdf');
    expect(parseJournalMessage(Buffer.from(noEnvelope, 'latin1'), { journalType: 'envelope' }).defects).toEqual([
      'no-envelope',
    ]);
    const emptyOriginal = raw.replace(
      /(Content-Disposition: attachment\r\n\r\n)[\s\S]*?(\r\n--_4e8b)/,
      '$1\r\nbody only$2',
    );
    expect(parseJournalMessage(Buffer.from(emptyOriginal, 'latin1'), { journalType: 'envelope' })).toMatchObject({
      kind: 'journal-defective',
      defects: ['original-unparseable'],
    });
    const unknownCte = raw.replace('Content-Transfer-Encoding: 7bit', 'Content-Transfer-Encoding: x-gzip');
    expect(parseJournalMessage(Buffer.from(unknownCte, 'latin1'), { journalType: 'envelope' })).toMatchObject({
      kind: 'journal',
      defects: ['unknown-cte'],
    });
  });

  it('flags extra-originals from three, limit-exceeded beyond maxOriginals, and nested-journal', () => {
    const raw = buildReport(spec).toString('latin1');
    const original =
      /(\r\n--_4e8b1d2c-6a7f-4b90-8c1d-3e2f1a0b9c8d_\r\nContent-Type: message\/rfc822[\s\S]*?)\r\n--_4e8b1d2c-6a7f-4b90-8c1d-3e2f1a0b9c8d_--/.exec(
        raw,
      )?.[1] as string;
    const withOriginals = (count: number) => Buffer.from(raw.replace(original, original.repeat(count)), 'latin1');
    expect(parseJournalMessage(withOriginals(3), { journalType: 'envelope' })).toMatchObject({
      kind: 'journal',
      defects: ['extra-originals'],
    });
    expect(parseJournalMessage(withOriginals(3), { journalType: 'envelope' }).originals.map((o) => o.role)).toEqual([
      'primary',
      'decrypted-copy',
      'extra',
    ]);
    const tooMany = parseJournalMessage(withOriginals(5), { journalType: 'envelope' });
    expect(tooMany).toMatchObject({ kind: 'journal-defective', defects: ['limit-exceeded', 'extra-originals'] });
    expect(tooMany.originals).toHaveLength(4);
    const nested = Buffer.from(
      raw.replace(
        'MIME-Version: 1.0\r\nContent-Type: text/plain; charset="us-ascii"',
        'X-MS-Journal-Report:\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset="us-ascii"',
      ),
      'latin1',
    );
    expect(parseJournalMessage(nested, { journalType: 'envelope' })).toMatchObject({
      kind: 'journal',
      defects: ['nested-journal'],
    });
  });

  it('flags limit-exceeded for header blocks, envelope size and lines, and MIME depth', () => {
    const raw = buildReport({
      ...spec,
      recipients: Array.from({ length: 50 }, (_, i) => ({ address: `r${i}@contoso.com`, type: 'to' as const })),
    });
    const limited = (limits: object) => parseJournalMessage(raw, { journalType: 'envelope', limits });
    // the marker lies beyond a 200-byte top-level block: what parsed so far is a plain message
    expect(limited({ maxHeaderBlockBytes: 200 })).toMatchObject({ kind: 'plain', defects: ['limit-exceeded'] });
    const longOriginalHeader = buildReport({
      ...spec,
      originalHeaders: Array.from({ length: 40 }, (_, i) => `Received: from hop${i}.contoso.com by next.contoso.com`),
    });
    const inOriginal = parseJournalMessage(longOriginalHeader, {
      journalType: 'envelope',
      limits: { maxHeaderBlockBytes: 1000 },
    });
    expect(inOriginal).toMatchObject({
      kind: 'journal-defective',
      defects: ['limit-exceeded'],
      sender: 's@contoso.com',
    });
    const bySize = limited({ maxEnvelopeBytes: 300 });
    expect(bySize).toMatchObject({ kind: 'journal-defective', defects: ['limit-exceeded'] });
    expect(bySize.recipients.length).toBeGreaterThan(0);
    expect(bySize.recipients.length).toBeLessThan(50);
    expect(limited({ maxEnvelopeLines: 20 })).toMatchObject({ kind: 'journal-defective', defects: ['limit-exceeded'] });
    expect(limited({ maxEnvelopeLines: 20 }).recipients).toHaveLength(17);
    expect(limited({ maxMimeDepth: 0 })).toMatchObject({
      kind: 'journal-defective',
      defects: expect.arrayContaining(['limit-exceeded']),
    });
    expect(limited({}).defects).toEqual([]);
  });

  it('yields unparseable for input without any header field', () => {
    for (const raw of [Buffer.alloc(0), Buffer.from('\r\n\r\nno headers'), Buffer.from([0xff, 0xfe, 0x00])]) {
      expect(parseJournalMessage(raw, { journalType: 'envelope' })).toMatchObject({
        kind: 'plain',
        defects: ['unparseable'],
        participants: [],
      });
    }
  });
});
