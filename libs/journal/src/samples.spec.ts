import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { dedupKey, mergeRecipients, parseJournalMessage, parseJournalStream, type ParsedMessage } from './index.js';
import { SAMPLE_FILES, sample } from '../../../test/support/journal/fixtures.js';
import { asAsync, chunked } from '../../../test/support/journal/report-builder.js';

/** sha256 of each sample journal report as shipped (test/fixtures/journal), before any change. */
const SAMPLE_SHA256: Record<string, string> = {
  '01': 'c1dcb9b6d0a2ad4265720c9be72d2a74450b98e133ebd12ba3cdcc6e28888d1d',
  '02': '30d87e6ad7cc842c754adf8fdd7f5b453eab6625633780737fde4714228e6388',
  '03': '28fbb964a0d6134397d64ffa0b233bc0e8262cfd9d63259fffcbed85b6576bcd',
  '04': '6d66aff1022d491605641d5f4c284fa430cd41463647c5bb6c3f83dfd8577ca1',
  '05': '90586f67be253356e3c8dad12350da33733b216696881c03a4b4143a246ccd1d',
  '06': '38285b36fe55f15b22dfe09644394df9906016ba29cf9a9ed7b95152e0db35f6',
  '07': '8e3f14bb22c20b3782b5c0954023ec98b7aa3305d168d2ea797bcb07bce492e7',
  '08': 'c0d6794ec5a8c672795fd301f16db42a47045c1d4902b07a0a5f9ec5af76043e',
  '09': '0d767f97f365b2aba96840acd69a8612dd0815d9c37b9611bf61f322e1daadfd',
  '10': '83dba9693e36d273fc20d0efc5c0450d04e9e982a9d0e7493c391858c8fa3f8d',
  '11': '3ec425c367c62758a42d3fcb105af7e06395a182c3f8ff87bcfd96502f31c6ef',
  '12': '7a842840a7d66cd99b4c48dacca18bd8af59f2fee62ceb8ffb42bdb1a8441b02',
};

const parse = (number: string): ParsedMessage => parseJournalMessage(sample(number), { journalType: 'envelope' });
const recipientsOf = (parsed: ParsedMessage) =>
  parsed.recipients.map(({ address, type, via, viaAddress }) => ({ address, type, via, viaAddress }));
const r = (address: string, type: string, via?: string, viaAddress?: string) => ({ address, type, via, viaAddress });
const roles = (parsed: ParsedMessage) => parsed.originals.map((original) => original.role);

describe('the sample reports give their documented results (samples/journal/README.md)', () => {
  it('are the twelve shipped files, byte for byte', () => {
    expect(SAMPLE_FILES).toHaveLength(12);
    for (const [number, sha256] of Object.entries(SAMPLE_SHA256)) {
      expect(createHash('sha256').update(sample(number)).digest('hex'), number).toBe(sha256);
    }
  });

  it('01: basic fields, Recipient lines, marker with a trailing space', () => {
    const parsed = parse('01');
    expect(parsed).toMatchObject({
      kind: 'journal',
      sender: 'frank.miller@fabrikam.com',
      onBehalfOf: null,
      defects: [],
      steppedDown: false,
      bccVisible: true,
    });
    expect(parsed.report.marker).toBe('X-MS-Journal-Report');
    expect(recipientsOf(parsed)).toEqual([r('alice@contoso.com', 'recipient'), r('bob@contoso.com', 'recipient')]);
    expect(roles(parsed)).toEqual(['primary']);
    expect(parsed.envelope?.messageId).toBe('<C3F1A2B3.5D6E%frank.miller@fabrikam.com>');
  });

  it('02: On-Behalf-Of and To/Cc roles', () => {
    const parsed = parse('02');
    expect(parsed).toMatchObject({
      kind: 'journal',
      sender: 'dave@contoso.com',
      onBehalfOf: 'carol@contoso.com',
      defects: [],
    });
    expect(recipientsOf(parsed)).toEqual([
      r('peter@contoso.com', 'to'),
      r('rita@contoso.com', 'cc'),
      r('quinn@fabrikam.com', 'cc'),
    ]);
    expect(roles(parsed)).toEqual(['primary']);
  });

  it('03: Message-Id spelling, group expansion and an alternate recipient', () => {
    const parsed = parse('03');
    expect(parsed).toMatchObject({ kind: 'journal', sender: 'alice@contoso.com', defects: [] });
    expect(recipientsOf(parsed)).toEqual([
      r('customer@fabrikam.com', 'to'),
      r('erin@contoso.com', 'to', 'expanded', 'sales@contoso.com'),
      r('gina@contoso.com', 'to', 'expanded', 'sales@contoso.com'),
      r('hank@contoso.com', 'to', 'expanded', 'sales@contoso.com'),
      r('bob@contoso.com', 'cc'),
      r('bob.assistant@contoso.com', 'cc', 'forwarded', 'bob@contoso.com'),
    ]);
    expect(roles(parsed)).toEqual(['primary']);
    // the expanded group is no participant; the forwarded-for address is
    expect(parsed.participants.map((p) => p.address)).not.toContain('sales@contoso.com');
    expect(parsed.participants).toContainEqual({ address: 'bob@contoso.com', role: 'forwarded-for' });
  });

  it('04: Bcc and a Bcc group', () => {
    const parsed = parse('04');
    expect(parsed).toMatchObject({ kind: 'journal', sender: 'alice@contoso.com', defects: [] });
    expect(recipientsOf(parsed)).toEqual([
      r('bob@contoso.com', 'to'),
      r('legal@contoso.com', 'bcc'),
      r('yan@contoso.com', 'bcc', 'expanded', 'board@contoso.com'),
      r('zoe@contoso.com', 'bcc', 'expanded', 'board@contoso.com'),
    ]);
    expect(roles(parsed)).toEqual(['primary']);
  });

  it('05: UTF-8 quoted-printable envelope with soft breaks in the subject and the Message-Id', () => {
    const parsed = parse('05');
    const subject = 'Überweisung für März – Ångström-Projekt ✓';
    const messageId = '<AS8PR07MB7654C1D2E3F40A1B2C3D4E5F6A7B@AS8PR07MB7654.eurprd07.prod.outlook.com>';
    expect(parsed).toMatchObject({
      kind: 'journal',
      sender: 'lena.muller@contoso.com',
      subject,
      messageId,
      defects: [],
    });
    expect(parsed.envelope).toMatchObject({
      subject,
      messageId,
      charset: 'utf-8',
      transferEncoding: 'quoted-printable',
    });
    expect(parsed.report.subject).toBe(subject); // RFC 2047 top-level subject, decoded for display
    expect(recipientsOf(parsed)).toEqual([
      r('jurgen.schafer@contoso.com', 'to'),
      r('buchhaltung@fabrikam.de', 'to'),
      r('mona.lind@contoso.com', 'cc'),
    ]);
    expect(roles(parsed)).toEqual(['primary']);
  });

  it('06: journal report decryption keeps the protected original and the decrypted copy', () => {
    const parsed = parse('06');
    expect(parsed).toMatchObject({ kind: 'journal', sender: 'olivia@contoso.com', defects: [] });
    expect(recipientsOf(parsed)).toEqual([r('peter@contoso.com', 'to')]);
    expect(roles(parsed)).toEqual(['primary', 'decrypted-copy']);
    const raw = sample('06');
    expect(raw.subarray(parsed.originals[0]!.start, parsed.originals[0]!.end).toString('latin1')).toContain(
      'message.rpmsg',
    );
    expect(raw.subarray(parsed.originals[1]!.start, parsed.originals[1]!.end).toString('latin1')).toContain(
      'the draft merger terms',
    );
  });

  it('07: a TNEF original and a quoted-printable ASCII envelope', () => {
    const parsed = parse('07');
    expect(parsed).toMatchObject({ kind: 'journal', sender: 'sam@contoso.com', defects: [] });
    expect(recipientsOf(parsed)).toEqual([r('tara@contoso.com', 'to'), r('uma@fabrikam.com', 'to')]);
    expect(roles(parsed)).toEqual(['primary']);
  });

  it('08: no marker, so it steps down; participants from its own headers', () => {
    const parsed = parse('08');
    expect(parsed).toMatchObject({
      kind: 'plain',
      sender: 'vera@contoso.com',
      steppedDown: true,
      bccVisible: false,
      envelope: null,
      defects: [],
    });
    expect(recipientsOf(parsed)).toEqual([r('journal@contoso.com', 'to')]);
    expect(parsed.originals).toEqual([]);
    expect(parsed.participants).toEqual([
      { address: 'vera@contoso.com', role: 'from' },
      { address: 'journal@contoso.com', role: 'to' },
    ]);
  });

  it('09: a malformed envelope is journal-defective with every documented defect', () => {
    const parsed = parse('09');
    expect(parsed.kind).toBe('journal-defective');
    expect(parsed.defects).toEqual([
      'missing-sender',
      'folded-line',
      'duplicate-field',
      'unknown-field',
      'unknown-qualifier',
      'charset-fallback',
    ]);
    expect(parsed.sender).toBe('xavier@contoso.com'); // from the original's From
    expect(parsed.envelope?.sender).toBeNull();
    expect(parsed.subject).toBe('Rechnung');
    expect(parsed.messageId).toBe('<F00D1234@EXMBX02.contoso.com>');
    expect(recipientsOf(parsed)).toEqual([
      r('yara@fabrikam.com', 'to'),
      r('zed@contoso.com', 'cc', 'forwarded', 'zoe@contoso.com'),
      r('audit@contoso.com', 'recipient'),
      r('rené@contoso.com', 'to'),
    ]);
    expect(parsed.recipients[2]?.qualifier).toBe('Redirected: old-audit@contoso.com');
    expect(parsed.envelope?.extraFields).toEqual({ 'X-Unknown-Field': 'something' });
    expect(parsed.original?.subject).toBe('Rechnung für Dezember'); // raw 8-bit header read as UTF-8
    expect(roles(parsed)).toEqual(['primary']);
  });

  it('10: the original only as corrupt.eml gives no-original and a fallback', () => {
    const parsed = parse('10');
    expect(parsed).toMatchObject({ kind: 'journal-defective', sender: 'abe@contoso.com', defects: ['no-original'] });
    expect(recipientsOf(parsed)).toEqual([r('bea@contoso.com', 'to')]);
    expect(parsed.originals).toEqual([
      expect.objectContaining({
        role: 'fallback',
        mediaType: 'application/octet-stream',
        filename: 'corrupt.eml',
        transferEncoding: 'base64',
      }),
    ]);
    expect(parsed.original?.messageId).toBe('<CAF0B1D2E3F4A5B6@EXMBX01.contoso.com>');
  });

  it('11: an NDR whose attachment is a report steps down', () => {
    const parsed = parse('11');
    expect(parsed).toMatchObject({
      kind: 'plain',
      steppedDown: true,
      sender: 'microsoftexchange329e71ec88ae4615bbc36ab6ce41109e@contoso.com',
      defects: [],
    });
    expect(recipientsOf(parsed)).toEqual([r('journal-alt@contoso.com', 'to')]);
    expect(parsed.originals).toEqual([]);
  });

  it('11 inside: the wrapped report parses as documented', () => {
    const outer = sample('11');
    const start = outer.indexOf('From: Microsoft Outlook', outer.indexOf('Content-Type: message/rfc822'));
    const end = outer.lastIndexOf('\r\n--_77aa66bb');
    const inner = parseJournalMessage(outer.subarray(start, end), { journalType: 'envelope' });
    expect(inner).toMatchObject({
      kind: 'journal',
      sender: 'microsoftexchange329e71ec88ae4615bbc36ab6ce41109e@contoso.com',
      defects: [],
    });
    expect(recipientsOf(inner)).toEqual([r('alice@contoso.com', 'recipient')]);
    expect(roles(inner)).toEqual(['primary']);
  });

  it('12: a second report of 03', () => {
    const parsed = parse('12');
    expect(parsed).toMatchObject({ kind: 'journal', sender: 'alice@contoso.com', defects: [] });
    expect(recipientsOf(parsed)).toEqual([
      r('ivan@contoso.com', 'to', 'expanded', 'sales@contoso.com'),
      r('jana@contoso.com', 'to', 'expanded', 'sales@contoso.com'),
    ]);
    expect(roles(parsed)).toEqual(['primary']);
  });

  it('03 and 12 share a dedup key and merge to 8 distinct recipients', () => {
    const [a, b] = [parse('03'), parse('12')];
    const [keyA, keyB] = [dedupKey(sample('03'), a), dedupKey(sample('12'), b)];
    expect(keyA).toEqual(keyB);
    expect(keyA.messageId).toBe('DB6PR0301MB2294A1B2C3D4E5F60718@EXMBX03.contoso.com');
    expect(keyA.contentHash).toMatch(/^[0-9a-f]{64}$/);
    const merged = mergeRecipients(a.recipients, b.recipients);
    expect(new Set(merged.map((recipient) => recipient.address)).size).toBe(8);
    expect(merged).toHaveLength(8);
  });

  it('a base64-encoded message/rfc822 part (a re-rendering store) is read decoded and keeps the dedup key', async () => {
    const raw = sample('03');
    const original = parse('03').originals[0]!;
    const encoded = Buffer.concat([
      raw.subarray(0, original.start - 2),
      Buffer.from('Content-Transfer-Encoding: base64\r\n\r\n'),
      Buffer.from(
        (
          raw
            .subarray(original.start, original.end)
            .toString('base64')
            .match(/.{1,76}/g) ?? []
        ).join('\r\n'),
      ),
      raw.subarray(original.end),
    ]);
    const parsed = parseJournalMessage(encoded, { journalType: 'envelope' });
    expect(parsed).toMatchObject({ kind: 'journal', defects: [] });
    expect(parsed.originals).toEqual([expect.objectContaining({ role: 'primary', transferEncoding: 'base64' })]);
    expect(parsed.original?.messageId).toBe('<DB6PR0301MB2294A1B2C3D4E5F60718@EXMBX03.contoso.com>');
    expect(dedupKey(encoded, parsed)).toEqual(dedupKey(raw, parse('03')));
    const {
      dedupKey: streamedKey,
      sha256: _sha,
      size: _size,
      ...streamed
    } = await parseJournalStream(asAsync(chunked(encoded, [33])), { journalType: 'envelope' });
    expect(streamed).toEqual(parsed);
    expect(streamedKey).toEqual(dedupKey(raw, parse('03')));
  });

  it('no two other samples share a dedup key', () => {
    const keys = SAMPLE_FILES.map((file) => file.slice(0, 2))
      .filter((number) => number !== '12')
      .map((number) => JSON.stringify(dedupKey(sample(number), parse(number))));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('every original starts at its first header line and ends before the delimiter line break', () => {
    for (const file of SAMPLE_FILES) {
      const raw = sample(file.slice(0, 2));
      for (const original of parse(file.slice(0, 2)).originals) {
        const bytes = raw.subarray(original.start, original.end);
        expect(raw.subarray(original.end, original.end + 4).toString('latin1'), file).toBe('\r\n--');
        expect(bytes.toString('latin1', 0, 2), file).not.toBe('\r\n');
      }
    }
  });

  it.each(SAMPLE_FILES)('%s: the streaming parser gives the same result, whatever the chunking', async (file) => {
    const raw = sample(file.slice(0, 2));
    const expected = parseJournalMessage(raw, { journalType: 'envelope' });
    for (const sizes of [[1], [7, 3, 64], [4096]]) {
      const {
        dedupKey: key,
        sha256,
        size,
        ...streamed
      } = await parseJournalStream(asAsync(chunked(raw, sizes)), { journalType: 'envelope' });
      expect(streamed).toEqual(expected);
      expect(key).toEqual(dedupKey(raw, expected));
      expect(sha256).toBe(createHash('sha256').update(raw).digest('hex'));
      expect(size).toBe(raw.length);
    }
  });

  it.each(SAMPLE_FILES)('%s: a Standard EML connector reads headers only', (file) => {
    const parsed = parseJournalMessage(sample(file.slice(0, 2)), { journalType: 'eml' });
    expect(parsed).toMatchObject({
      kind: 'plain',
      steppedDown: false,
      bccVisible: false,
      envelope: null,
      originals: [],
    });
    expect(parsed.participants.every((p) => ['from', 'sender', 'to', 'cc', 'bcc'].includes(p.role))).toBe(true);
  });
});
