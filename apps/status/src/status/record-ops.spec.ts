import { describe, expect, it } from 'vitest';
import { encodeProgressRecord, PROGRESS_HEADERS, RECORD_HEADERS, TOPICS } from '#contracts';
import { opsForRecord, STATUS_SOURCE_TOPICS, UnreadableRecord } from './record-ops.js';

const timestamp = String(Date.parse('2025-01-01T00:00:00.000Z'));
const sha = 'a'.repeat(64);

/** Headers as the broker returns them: bytes. */
const wire = (headers: Record<string, string>) =>
  Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, Buffer.from(value)]));

describe('opsForRecord', () => {
  it('reads no message topic: progress records stand for raw and archived records', () => {
    expect(STATUS_SOURCE_TOPICS).toEqual([TOPICS.status, TOPICS.progress, TOPICS.rejected, TOPICS.dlq]);
    expect(STATUS_SOURCE_TOPICS).not.toContain(TOPICS.raw);
    expect(STATUS_SOURCE_TOPICS).not.toContain(TOPICS.archived);
  });

  it('counts extracted, archived and merged from progress records, from their headers alone', () => {
    const ops = (record: ReturnType<typeof encodeProgressRecord>) =>
      opsForRecord({
        topic: record.topic,
        key: Buffer.from(record.key),
        value: record.value,
        headers: wire(record.headers),
        timestamp,
      });
    expect(ops(encodeProgressRecord({ event: 'extracted', connectorId: 'c1', rawId: `c1/${sha}` }))).toEqual([
      ['c1', 'i', 'extracted', 1],
      ['c1', 'm', 'updatedAt', '2025-01-01T00:00:00.000Z'],
    ]);
    const archive = { connectorId: 'c1', rawId: `c1/${sha}`, archiveId: 'a1' };
    expect(ops(encodeProgressRecord({ event: 'archive', ...archive }))[0]).toEqual(['c1', 'i', 'archived', 1]);
    expect(ops(encodeProgressRecord({ event: 'merge', ...archive }))[0]).toEqual(['c1', 'i', 'merged', 1]);
  });

  it('never reads a progress record value, and finds one without valid headers unreadable', () => {
    const headers = {
      [PROGRESS_HEADERS.schema]: 'journal.progress.v1',
      [PROGRESS_HEADERS.connectorId]: 'c1',
      [PROGRESS_HEADERS.event]: 'extracted',
      [PROGRESS_HEADERS.rawId]: `c1/${sha}`,
    };
    const ops = (h: Record<string, string>) =>
      opsForRecord({
        topic: TOPICS.progress,
        key: null,
        value: Buffer.from([0xff, 0x00]),
        headers: wire(h),
        timestamp,
      });
    expect(ops(headers)[0]).toEqual(['c1', 'i', 'extracted', 1]);
    const without = (name: string) => Object.fromEntries(Object.entries(headers).filter(([n]) => n !== name));
    expect(() => ops(without(PROGRESS_HEADERS.connectorId))).toThrow(UnreadableRecord);
    expect(() => ops(without(PROGRESS_HEADERS.event))).toThrow(UnreadableRecord);
    expect(() => ops(without(PROGRESS_HEADERS.schema))).toThrow(UnreadableRecord);
    expect(() => ops({ ...headers, [PROGRESS_HEADERS.event]: 'deleted' })).toThrow(UnreadableRecord);
    // An archive or merge names its archive.
    expect(() => ops({ ...headers, [PROGRESS_HEADERS.event]: 'archive' })).toThrow(UnreadableRecord);
    expect(() => opsForRecord({ topic: TOPICS.progress, key: null, value: null, headers: {}, timestamp })).toThrow(
      UnreadableRecord,
    );
  });

  it('counts rejections and dead letters from headers, never the value', () => {
    const value = Buffer.from([0xff, 0xfe, 0x00]); // not JSON: must never be read
    const headers = (connectorId: string) => ({ [RECORD_HEADERS.connectorId]: Buffer.from(connectorId) });
    const ops = (topic: string, h: Record<string, Buffer>) =>
      opsForRecord({ topic, key: null, value, headers: h, timestamp })[0];
    expect(ops(TOPICS.rejected, headers('c'))).toEqual(['c', 'i', 'rejected', 1]);
    expect(ops(TOPICS.dlq, headers('c'))).toEqual(['c', 'i', 'deadLettered', 1]);
    expect(() => ops(TOPICS.dlq, {})).toThrow(UnreadableRecord);
  });

  it('ignores records of the message topics (they are counted through their progress records)', () => {
    const headers = { [RECORD_HEADERS.connectorId]: Buffer.from('c'), [RECORD_HEADERS.event]: Buffer.from('archive') };
    expect(opsForRecord({ topic: TOPICS.raw, key: null, value: null, headers, timestamp })).toEqual([]);
    expect(opsForRecord({ topic: TOPICS.archived, key: null, value: null, headers, timestamp })).toEqual([]);
  });

  it('deletes the snapshot on a status tombstone', () => {
    expect(opsForRecord({ topic: TOPICS.status, key: Buffer.from('c1'), value: null, timestamp })).toEqual([
      ['c1', 'd', 'snapshot'],
    ]);
  });
});
