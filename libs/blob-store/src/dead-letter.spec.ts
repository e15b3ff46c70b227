import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JournalwireError } from '#errors';
import { encodeDeadLetter } from './dead-letter.js';
import { FileSystemBlobStore } from './file-system-blob-store.js';

const dir = mkdtempSync(join(tmpdir(), 'jw-dead-letter-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('encodeDeadLetter', () => {
  it('writes the subject, the failure at its stage, where the record sits and the tries, error text bounded', async () => {
    const value = await encodeDeadLetter(
      {
        rawId: 'c/1',
        rawRecord: { partition: 0, offset: '7' },
        connectorId: 'c',
        uidl: 'u1',
        sha256: null,
        message: { inline: 'AA==' },
      },
      {
        stage: 'policy',
        failure: new JournalwireError('internal', 'x'.repeat(20_000)),
        record: { topic: 'journal.classified.v1', partition: 1, offset: '42' },
        attempts: 3,
      },
      { key: 'c', maxMessageBytes: 1024 * 1024, blobStore: new FileSystemBlobStore(dir) },
    );
    const record = JSON.parse(value.toString('utf8')) as Record<string, unknown>;
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
      'message',
      'attempts',
      'failedAt',
    ]);
    expect(record).toMatchObject({
      schema: 'journal.dlq.v1',
      rawId: 'c/1',
      stage: 'policy',
      error: { code: 'internal', message: 'x'.repeat(8192) },
      source: { topic: 'journal.classified.v1', partition: 1, offset: '42' },
      message: { inline: 'AA==' },
      attempts: 3,
    });
  });
});
