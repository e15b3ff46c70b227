import { describe, expect, it } from 'vitest';
import { RAW_HEADERS, RECORD_HEADERS, TOPICS } from '#contracts';
import { opsForRecord, UnreadableRecord } from './record-ops.js';

const timestamp = String(Date.parse('2025-01-01T00:00:00.000Z'));

describe('opsForRecord', () => {
  it('counts a raw record from its header without reading the value', () => {
    const ops = opsForRecord({
      topic: TOPICS.raw,
      key: null,
      value: Buffer.from([0xff, 0x00]),
      headers: { [RAW_HEADERS.connectorId]: Buffer.from('c1') },
      timestamp,
    });
    expect(ops).toEqual([
      ['c1', 'i', 'extracted', 1],
      ['c1', 'm', 'updatedAt', '2025-01-01T00:00:00.000Z'],
    ]);
    expect(() => opsForRecord({ topic: TOPICS.raw, key: null, value: null, headers: {}, timestamp })).toThrow(
      UnreadableRecord,
    );
  });

  it('tells archives from merges and counts rejections and dead letters from headers, never the value', () => {
    const value = Buffer.from([0xff, 0xfe, 0x00]); // not JSON: must never be read
    const headers = (connectorId: string, event?: string) => ({
      [RECORD_HEADERS.connectorId]: Buffer.from(connectorId),
      ...(event ? { [RECORD_HEADERS.event]: Buffer.from(event) } : {}),
    });
    const ops = (topic: string, h: Record<string, Buffer>) =>
      opsForRecord({ topic, key: null, value, headers: h, timestamp })[0];
    expect(ops(TOPICS.archived, headers('c', 'merge'))).toEqual(['c', 'i', 'merged', 1]);
    expect(ops(TOPICS.archived, headers('c', 'archive'))).toEqual(['c', 'i', 'archived', 1]);
    expect(ops(TOPICS.rejected, headers('c'))).toEqual(['c', 'i', 'rejected', 1]);
    expect(ops(TOPICS.dlq, headers('c'))).toEqual(['c', 'i', 'deadLettered', 1]);
    expect(() => ops(TOPICS.archived, headers('c'))).toThrow(UnreadableRecord);
    expect(() => ops(TOPICS.dlq, {})).toThrow(UnreadableRecord);
  });

  it('deletes the snapshot on a status tombstone', () => {
    expect(opsForRecord({ topic: TOPICS.status, key: Buffer.from('c1'), value: null, timestamp })).toEqual([
      ['c1', 'd', 'snapshot'],
    ]);
  });
});
