import { describe, expect, it } from 'vitest';
import { RAW_HEADERS, TOPICS } from '#contracts';
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

  it('tells archives from merges and counts rejections and dead letters', () => {
    const value = (fields: object) => Buffer.from(JSON.stringify(fields));
    expect(
      opsForRecord({
        topic: TOPICS.archived,
        key: null,
        value: value({ connectorId: 'c', event: 'merge' }),
        timestamp,
      })[0],
    ).toEqual(['c', 'i', 'merged', 1]);
    expect(
      opsForRecord({
        topic: TOPICS.archived,
        key: null,
        value: value({ connectorId: 'c', event: 'archive' }),
        timestamp,
      })[0],
    ).toEqual(['c', 'i', 'archived', 1]);
    expect(
      opsForRecord({ topic: TOPICS.rejected, key: null, value: value({ connectorId: 'c' }), timestamp })[0],
    ).toEqual(['c', 'i', 'rejected', 1]);
    expect(opsForRecord({ topic: TOPICS.dlq, key: null, value: value({ connectorId: 'c' }), timestamp })[0]).toEqual([
      'c',
      'i',
      'deadLettered',
      1,
    ]);
  });

  it('deletes the snapshot on a status tombstone', () => {
    expect(opsForRecord({ topic: TOPICS.status, key: Buffer.from('c1'), value: null, timestamp })).toEqual([
      ['c1', 'd', 'snapshot'],
    ]);
  });
});
