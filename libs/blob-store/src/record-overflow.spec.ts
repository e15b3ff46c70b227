import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { archivedRecordSchema, decodeMessageRecord, RECORD_HEADERS, type ArchivedRecord } from '#contracts';
import { FileSystemBlobStore } from './file-system-blob-store.js';
import { encodeFitting, MAX_META_HEADER_BYTES, recordBytes, resolveOverflow } from './record-overflow.js';

const PLACEHOLDERS: Partial<ArchivedRecord> = { recipients: [], mailboxes: [], messageId: null, subject: null };

const message = (bytes: number) => ({ inline: Buffer.alloc(bytes, 7) });

function archived(recipients: number): ArchivedRecord {
  return {
    schema: 'journal.archived.v2',
    event: 'archive',
    archiveId: 'ar_1',
    rawId: 'c/1',
    rawRecord: { partition: 0, offset: '1' },
    connectorId: 'c',
    uidl: 'u1',
    sha256Before: 'a'.repeat(64),
    sha256After: 'a'.repeat(64),
    removedHeaders: [],
    kind: 'journal',
    journalType: 'envelope',
    classification: 'internal',
    sender: 'alice@contoso.com',
    recipients: Array.from({ length: recipients }, (_, i) => ({
      address: `member${i}@contoso.com`,
      type: 'to' as const,
      via: 'expanded' as const,
      viaAddress: 'everyone@contoso.com',
    })),
    mailboxes: ['alice@contoso.com'],
    unknownInternalAddresses: [],
    messageId: 'm@contoso.com',
    subject: 'all hands',
    defects: [],
    originals: [{ role: 'primary', mediaType: 'message/rfc822', start: 10, end: 90 }],
    extractedAt: '2026-01-01T00:00:00.000Z',
    archivedAt: '2026-01-01T00:00:00.000Z',
  };
}

describe('encodeFitting and resolveOverflow', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jw-overflow-'));
  const blobs = new FileSystemBlobStore(dir);
  const maxMessageBytes = 2 * 1024 * 1024;
  const options = {
    schema: archivedRecordSchema,
    key: 'ar_1',
    maxMessageBytes,
    headers: { traceparent: '00-'.padEnd(55, '0') },
    blobStore: blobs,
    placeholders: PLACEHOLDERS,
  };
  const decode = (encoded: { value: Buffer; headers: Record<string, string> }) =>
    decodeMessageRecord(archivedRecordSchema, encoded.value, encoded.headers);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves a record that fits as it is: the message as the value, the metadata in a header', async () => {
    const encoded = await encodeFitting(archived(10), message(100), options);
    expect(encoded.value).toEqual(Buffer.alloc(100, 7));
    expect(encoded.headers).toMatchObject({ [RECORD_HEADERS.event]: 'archive', [RECORD_HEADERS.connectorId]: 'c' });
    expect(decode(encoded)).toEqual({ record: archived(10), message: message(100) });
  });

  it('keeps a 1.8 MB message inline (no base64), and moves a larger one to the claim-check store first', async () => {
    expect((await encodeFitting(archived(10), message(1_800_000), options)).value).toHaveLength(1_800_000);
    const decoded = decode(await encodeFitting(archived(10), message(2_100_000), options));
    expect(decoded.record.overflow).toBeUndefined();
    expect(decoded.message && 'claimCheck' in decoded.message).toBe(true);
    expect(await blobs.get((decoded.message as { claimCheck: never }).claimCheck)).toEqual(Buffer.alloc(2_100_000, 7));
  });

  it('counts the headers: metadata within the header cap that would not fit beside the message moves the message out', async () => {
    // 550 recipients are about 56 KB of metadata (under the cap): beside a 2.06 MB message the record would not fit.
    const encoded = await encodeFitting(archived(550), message(2_060_000), options);
    expect(Buffer.byteLength(encoded.headers[RECORD_HEADERS.meta]!)).toBeGreaterThan(50_000);
    expect(Buffer.byteLength(encoded.headers[RECORD_HEADERS.meta]!)).toBeLessThanOrEqual(MAX_META_HEADER_BYTES);
    expect(recordBytes('ar_1', encoded)).toBeLessThanOrEqual(maxMessageBytes);
    const decoded = decode(encoded);
    expect(decoded.message && 'claimCheck' in decoded.message).toBe(true);
    expect(decoded.record.overflow).toBeUndefined();
    expect(decoded.record.recipients).toHaveLength(550);
  });

  it('caps jw-meta at 64 KiB even when the record fits: the bulky fields move, the message stays inline', async () => {
    // 20,000 recipients are about 1.6 MB of metadata: the record would fit its topic beside a small message.
    const record = archived(20_000);
    const encoded = await encodeFitting(record, message(100_000), options);
    expect(Buffer.byteLength(encoded.headers[RECORD_HEADERS.meta]!)).toBeLessThanOrEqual(MAX_META_HEADER_BYTES);
    const decoded = decode(encoded);
    expect(decoded.message).toEqual(message(100_000));
    expect(decoded.record.recipients).toEqual([]);
    expect(decoded.record.overflow?.fields).toEqual(['recipients', 'mailboxes', 'messageId', 'subject']);
    expect(await resolveOverflow(archivedRecordSchema, decoded.record, blobs)).toEqual(record);
  });

  it('moves a sender-chosen subject and Message-ID far beyond the cap whole, and gives them back', async () => {
    const record = { ...archived(1), subject: 's'.repeat(200_000), messageId: `<${'m'.repeat(100_000)}@evil.example>` };
    const encoded = await encodeFitting(record, message(100), options);
    expect(Buffer.byteLength(encoded.headers[RECORD_HEADERS.meta]!)).toBeLessThanOrEqual(MAX_META_HEADER_BYTES);
    const decoded = decode(encoded);
    expect(decoded.message).toEqual(message(100));
    expect(decoded.record).toMatchObject({ subject: null, messageId: null });
    expect(await resolveOverflow(archivedRecordSchema, decoded.record, blobs)).toEqual(record);
  });

  it('keeps metadata just under the cap in the header', async () => {
    const encoded = await encodeFitting(archived(600), message(100), options);
    expect(Buffer.byteLength(encoded.headers[RECORD_HEADERS.meta]!)).toBeLessThanOrEqual(MAX_META_HEADER_BYTES);
    expect(decode(encoded)).toEqual({ record: archived(600), message: message(100) });
  });

  it('keeps 100,000 recipients whole in the claim-check store, and gives them back', async () => {
    const record = archived(100_000);
    const encoded = await encodeFitting(record, null, options);
    expect(recordBytes('ar_1', encoded)).toBeLessThanOrEqual(maxMessageBytes);
    expect(encoded.value).toHaveLength(0);
    const decoded = decode(encoded);
    expect(decoded.message).toBeNull();
    expect(decoded.record.recipients).toEqual([]);
    expect(decoded.record.overflow?.fields).toEqual(['recipients', 'mailboxes', 'messageId', 'subject']);
    const resolved = await resolveOverflow(archivedRecordSchema, decoded.record, blobs);
    expect(resolved.recipients).toHaveLength(100_000);
    expect(resolved).toEqual(record);
  });
});
