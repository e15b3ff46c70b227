import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeMessageRecord, deadLetterRecordSchema, RECORD_HEADERS } from '#contracts';
import { JournalwireError } from '#errors';
import { encodeDeadLetter } from './dead-letter.js';
import { FileSystemBlobStore } from './file-system-blob-store.js';

const dir = mkdtempSync(join(tmpdir(), 'jw-dead-letter-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('encodeDeadLetter', () => {
  it('writes the subject, the failure at its stage, where the record sits and the tries, error text bounded', async () => {
    const encoded = await encodeDeadLetter(
      {
        rawId: 'c/1',
        rawRecord: { partition: 0, offset: '7' },
        connectorId: 'c',
        uidl: 'u1',
        sha256: null,
        message: { inline: Buffer.from([0, 0xff, 13, 10]) },
      },
      {
        stage: 'policy',
        failure: new JournalwireError('internal', 'x'.repeat(20_000)),
        record: { topic: 'journal.classified.v2', partition: 1, offset: '42' },
        attempts: 3,
      },
      { key: 'c', maxMessageBytes: 1024 * 1024, blobStore: new FileSystemBlobStore(dir) },
    );
    expect(encoded.value).toEqual(Buffer.from([0, 0xff, 13, 10]));
    expect(encoded.headers).toMatchObject({
      [RECORD_HEADERS.schema]: 'journal.dlq.v2',
      [RECORD_HEADERS.connectorId]: 'c',
      [RECORD_HEADERS.contentType]: 'message/rfc822',
    });
    expect(decodeMessageRecord(deadLetterRecordSchema, encoded.value, encoded.headers).message).toEqual({
      inline: Buffer.from([0, 0xff, 13, 10]),
    });
    const record = JSON.parse(encoded.headers[RECORD_HEADERS.meta]!) as Record<string, unknown>;
    expect(Object.keys(record)).toEqual([
      'schema',
      'rawId',
      'rawRecord',
      'connectorId',
      'uidl',
      'sha256',
      'stage',
      'error',
      'source',
      'attempts',
      'failedAt',
    ]);
    expect(record).toMatchObject({
      schema: 'journal.dlq.v2',
      rawId: 'c/1',
      stage: 'policy',
      error: { code: 'internal', message: 'x'.repeat(8192) },
      source: { topic: 'journal.classified.v2', partition: 1, offset: '42' },
      attempts: 3,
    });
  });
});
