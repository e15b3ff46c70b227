import { describe, expect, it } from 'vitest';
import { JournalwireError } from '#errors';
import { decodeMessageRecord, encodeMessageRecord, messageOf, RECORD_HEADERS } from './message-record.js';
import { RAW_CONTENT_TYPES } from './raw-record.js';
import { rejectedRecordSchema, type RejectedRecord } from './records.js';

const meta: RejectedRecord = {
  schema: 'journal.rejected.v2',
  rawId: 'c/' + 'a'.repeat(64),
  rawRecord: { partition: 1, offset: '9' },
  connectorId: 'c',
  uidl: 'u',
  sha256: 'a'.repeat(64),
  reason: 'external-not-journaled',
  classification: 'external',
  messageId: 'm\u00e9@x',
  extractedAt: '2026-01-01T00:00:00.000Z',
  rejectedAt: '2026-01-01T00:00:01.000Z',
};

describe('message records', () => {
  it('carry the message bytes as the value, untouched, and the metadata in headers', () => {
    const bytes = Buffer.from([0, 0xff, 0x2e, 13, 10, 0x80]);
    const encoded = encodeMessageRecord(rejectedRecordSchema, meta, { inline: bytes }, { traceparent: 't' });
    expect(encoded.value).toBe(bytes);
    expect(encoded.headers).toMatchObject({
      traceparent: 't',
      [RECORD_HEADERS.schema]: 'journal.rejected.v2',
      [RECORD_HEADERS.connectorId]: 'c',
      [RECORD_HEADERS.contentType]: RAW_CONTENT_TYPES.inline,
    });
    expect(encoded.headers[RECORD_HEADERS.event]).toBeUndefined();
    expect(decodeMessageRecord(rejectedRecordSchema, encoded.value, encoded.headers)).toEqual({
      record: meta,
      message: { inline: bytes },
    });
  });

  it('carry a claim check as JSON with its content type, and nothing for no message', () => {
    const claimCheck = { store: 'fs', key: 'aa/' + 'a'.repeat(64), sha256: 'a'.repeat(64), size: 3 };
    const encoded = encodeMessageRecord(rejectedRecordSchema, meta, { claimCheck });
    expect(JSON.parse(encoded.value.toString())).toEqual(claimCheck);
    expect(decodeMessageRecord(rejectedRecordSchema, encoded.value, encoded.headers).message).toEqual({ claimCheck });
    const empty = encodeMessageRecord(rejectedRecordSchema, meta, null);
    expect(empty.value).toHaveLength(0);
    expect(empty.headers[RECORD_HEADERS.contentType]).toBeUndefined();
    expect(decodeMessageRecord(rejectedRecordSchema, empty.value, empty.headers).message).toBeNull();
  });

  it('refuse invalid metadata on write and bad records on read with a validation error', () => {
    expect(() => encodeMessageRecord(rejectedRecordSchema, { ...meta, sha256: 'x' }, null)).toThrow(JournalwireError);
    expect(() => decodeMessageRecord(rejectedRecordSchema, Buffer.from('x'), {})).toThrow(/jw-meta/);
    expect(() => messageOf(Buffer.from('not json'), RAW_CONTENT_TYPES.claimCheck)).toThrow(/claim check/);
    expect(() => messageOf(Buffer.from('x'), 'text/plain')).toThrow(/unknown content type/);
  });
});
