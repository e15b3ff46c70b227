import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { classifiedRecordSchema } from '#contracts';
import { buildClassifiedRecord, buildClassifiedRecordFromStream, classifiedRecordId } from './index.js';
import { SAMPLE_FILES, classifyInputFor as inputFor, sample } from '../../../test/support/journal/fixtures.js';
import { asAsync, chunked } from '../../../test/support/journal/report-builder.js';

describe('buildClassifiedRecord', () => {
  it.each(SAMPLE_FILES)('%s: gives a valid journal.classified.v2 record', (file) => {
    const record = buildClassifiedRecord(inputFor(sample(file.slice(0, 2))));
    expect(classifiedRecordSchema.parse(record)).toEqual(record);
  });

  it('fills the record from the parse, the classification and the dedup key', () => {
    const raw = sample('03');
    const record = buildClassifiedRecord(inputFor(raw));
    expect(record).toMatchObject({
      schema: 'journal.classified.v2',
      rawId: `conn-1/${createHash('sha256').update(raw).digest('hex')}`,
      rawRecord: { partition: 3, offset: '42' },
      kind: 'journal',
      steppedDown: false,
      bccVisible: true,
      sender: 'alice@contoso.com',
      messageId: '<DB6PR0301MB2294A1B2C3D4E5F60718@EXMBX03.contoso.com>',
      subject: 'Pipeline review Q1',
      classification: 'internal',
      internalMailboxes: ['alice@contoso.com', 'bob@contoso.com'],
      defects: [],
      dedupKey: { messageId: 'DB6PR0301MB2294A1B2C3D4E5F60718@EXMBX03.contoso.com' },
      classifiedAt: '2026-01-02T03:04:06.000Z',
    });
    // Where the original sits in the report: the slice is the message as sent, headers first.
    expect(record.originals).toHaveLength(1);
    const [original] = record.originals;
    expect(original).toMatchObject({ role: 'primary', mediaType: 'message/rfc822' });
    const sliced = raw.subarray(original!.start, original!.end).toString('latin1');
    expect(sliced).toMatch(/^[A-Za-z-]+: /);
    expect(sliced).toContain('Subject: Pipeline review Q1');
    expect(record.recipients[1]).toEqual({
      address: 'erin@contoso.com',
      type: 'to',
      via: 'expanded',
      viaAddress: 'sales@contoso.com',
    });
  });

  it("leaves the connector's journal mailbox out of the classification and flags it", () => {
    const plain = buildClassifiedRecord(inputFor(sample('08'), { journalMailbox: 'journal@contoso.com' }));
    expect(plain).toMatchObject({
      kind: 'plain',
      journalMailboxAddressed: true,
      unknownInternalAddresses: ['vera@contoso.com'],
    });
    expect(plain.recipients).toEqual([{ address: 'journal@contoso.com', type: 'to' }]);
    expect(buildClassifiedRecord(inputFor(sample('03'))).journalMailboxAddressed).toBe(false);
  });

  it('the streaming builder leaves the journal mailbox out the same way', async () => {
    const raw = sample('08');
    const { raw: _raw, ...rest } = inputFor(raw, { journalMailbox: 'journal@contoso.com' });
    expect(await buildClassifiedRecordFromStream({ ...rest, stream: asAsync(chunked(raw, [7, 13])) })).toEqual(
      buildClassifiedRecord(inputFor(raw, { journalMailbox: 'journal@contoso.com' })),
    );
  });

  it('reads a record written before journalMailboxAddressed existed as false', () => {
    const { journalMailboxAddressed: _dropped, ...older } = buildClassifiedRecord(inputFor(sample('03')));
    expect(classifiedRecordSchema.parse(older).journalMailboxAddressed).toBe(false);
  });

  it('drops the parser-only qualifier from record recipients', () => {
    const record = buildClassifiedRecord(inputFor(sample('09')));
    expect(record.recipients[2]).toEqual({ address: 'audit@contoso.com', type: 'recipient' });
    expect(record.kind).toBe('journal-defective');
  });

  it('is deterministic: a replay differs only in classifiedAt', () => {
    const raw = sample('05');
    const first = buildClassifiedRecord(inputFor(raw, { now: () => new Date('2026-01-01T00:00:00Z') }));
    const replay = buildClassifiedRecord(inputFor(raw, { now: () => new Date('2027-06-01T00:00:00Z') }));
    expect({ ...replay, classifiedAt: first.classifiedAt }).toEqual(first);
    expect(replay.classifiedAt).not.toBe(first.classifiedAt);
  });

  it('derives a UUID id from connector and sha256', () => {
    const sha = 'a'.repeat(64);
    expect(classifiedRecordId('conn-1', sha)).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(classifiedRecordId('conn-1', sha)).toBe(classifiedRecordId('conn-1', sha));
    expect(classifiedRecordId('conn-2', sha)).not.toBe(classifiedRecordId('conn-1', sha));
    expect(classifiedRecordId('conn-1', 'b'.repeat(64))).not.toBe(classifiedRecordId('conn-1', sha));
  });

  it.each(SAMPLE_FILES)('%s: the streaming builder gives the same record', async (file) => {
    const raw = sample(file.slice(0, 2));
    const { raw: _raw, ...rest } = inputFor(raw);
    expect(await buildClassifiedRecordFromStream({ ...rest, stream: asAsync(chunked(raw, [5, 11])) })).toEqual(
      buildClassifiedRecord(inputFor(raw)),
    );
  });
});
