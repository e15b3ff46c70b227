import { describe, expect, it } from 'vitest';
import { decodeProgressHeaders, encodeProgressRecord, PROGRESS_HEADERS } from './progress-record.js';
import { MAX_KEY_BYTES } from './keys.js';
import { RAW_HEADERS, rawId, rawRecordKey } from './raw-record.js';
import { RECORD_HEADERS } from './message-record.js';
import { TOPICS, topicSpecs } from './topics.js';

const sha = 'b'.repeat(64);

describe('encodeProgressRecord', () => {
  it('keys an extraction by the raw id, as its raw record, with an empty value and the shared header names', () => {
    const record = encodeProgressRecord({ event: 'extracted', connectorId: 'c1', rawId: rawId('c1', sha) });
    expect(record.topic).toBe(TOPICS.progress);
    expect(record.key).toBe(rawRecordKey('c1', sha));
    expect(record.value.length).toBe(0);
    expect(record.headers).toEqual({
      'jw-schema': 'journal.progress.v1',
      [RAW_HEADERS.connectorId]: 'c1',
      [RECORD_HEADERS.event]: 'extracted',
      'jw-raw-id': `c1/${sha}`,
    });
    expect(decodeProgressHeaders(record.headers)).toEqual({
      event: 'extracted',
      connectorId: 'c1',
      rawId: `c1/${sha}`,
    });
  });

  it('names the archive of an archive or merge, and reads back what it wrote', () => {
    for (const event of ['archive', 'merge'] as const) {
      const progress = { event, connectorId: 'c1', rawId: `c1/${sha}`, archiveId: 'arch-1' };
      const record = encodeProgressRecord(progress);
      expect(record.headers[PROGRESS_HEADERS.archiveId]).toBe('arch-1');
      expect(record.headers[PROGRESS_HEADERS.event]).toBe(event);
      expect(decodeProgressHeaders(record.headers)).toEqual(progress);
    }
  });

  it('bounds a long raw id as a key like every other record about the message', () => {
    const long = `${'c'.repeat(MAX_KEY_BYTES)}/${sha}`;
    const record = encodeProgressRecord({ event: 'extracted', connectorId: 'c'.repeat(MAX_KEY_BYTES), rawId: long });
    expect(record.key).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(record.headers[PROGRESS_HEADERS.rawId]).toBe(long);
  });

  it('refuses what it could not read back', () => {
    expect(() => encodeProgressRecord({ event: 'extracted', connectorId: '', rawId: 'x' })).toThrow(/connector-id/);
    expect(() =>
      encodeProgressRecord({ event: 'archive', connectorId: 'c1', rawId: `c1/${sha}`, archiveId: '' }),
    ).toThrow(/archive-id/);
    expect(() => decodeProgressHeaders({ 'jw-schema': 'journal.raw.v2', 'jw-connector-id': 'c1' })).toThrow(/invalid/);
  });

  it('is created by npm run topics like the other data topics', () => {
    const spec = topicSpecs().find((topic) => topic.name === TOPICS.progress);
    expect(spec?.partitions).toBe(6);
    expect(spec?.config['retention.ms']).toBe(String(7 * 24 * 3600 * 1000));
  });
});
