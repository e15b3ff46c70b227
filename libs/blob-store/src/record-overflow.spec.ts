import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { archivedRecordSchema, decodeRecord, type ArchivedRecord } from '#contracts';
import { FileSystemBlobStore } from './file-system-blob-store.js';
import { encodeFitting, resolveOverflow, valueBudget } from './record-overflow.js';

const PLACEHOLDERS: Partial<ArchivedRecord> = { recipients: [], mailboxes: [], messageId: null, subject: null };

function archived(recipients: number, inlineBytes = 100): ArchivedRecord {
  return {
    schema: 'journal.archived.v1',
    event: 'archive',
    archiveId: 'ar_1',
    rawId: 'c/1',
    rawRecord: { partition: 0, offset: '1' },
    connectorId: 'c',
    uidl: 'u1',
    message: { inline: Buffer.alloc(inlineBytes, 7).toString('base64') },
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
    extractedAt: '2026-01-01T00:00:00.000Z',
    archivedAt: '2026-01-01T00:00:00.000Z',
  };
}

describe('encodeFitting and resolveOverflow', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jw-overflow-'));
  const blobs = new FileSystemBlobStore(dir);
  const maxBytes = valueBudget(2 * 1024 * 1024, 'ar_1', { traceparent: '00-'.padEnd(55, '0') });
  const options = { schema: archivedRecordSchema, maxBytes, blobStore: blobs, placeholders: PLACEHOLDERS };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves a record that fits as it is', async () => {
    const value = await encodeFitting(archived(10), options);
    expect(decodeRecord(archivedRecordSchema, value)).toEqual(archived(10));
  });

  it('moves an inline message to the claim-check store first', async () => {
    const record = archived(10, 1_800_000);
    const decoded = decodeRecord(archivedRecordSchema, await encodeFitting(record, options));
    expect(decoded.overflow).toBeUndefined();
    expect(decoded.message && 'claimCheck' in decoded.message).toBe(true);
    expect(await blobs.get((decoded.message as { claimCheck: never }).claimCheck)).toEqual(Buffer.alloc(1_800_000, 7));
  });

  it('keeps 100,000 recipients whole in the claim-check store, and gives them back', async () => {
    const record = archived(100_000);
    const value = await encodeFitting(record, options);
    expect(value.length).toBeLessThanOrEqual(maxBytes);
    const decoded = decodeRecord(archivedRecordSchema, value);
    expect(decoded.recipients).toEqual([]);
    expect(decoded.overflow?.fields).toEqual(['recipients', 'mailboxes', 'messageId', 'subject']);
    const resolved = await resolveOverflow(archivedRecordSchema, decoded, blobs);
    expect(resolved.recipients).toHaveLength(100_000);
    expect({ ...resolved, message: null }).toEqual({ ...record, message: null });
  });
});
