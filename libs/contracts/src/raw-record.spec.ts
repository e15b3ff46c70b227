import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  claimCheckRawBody,
  connectorOfKey,
  encodeRawRecord,
  parseRawHeaders,
  RAW_CONTENT_TYPES,
  rawBodyOf,
  rawRecordKey,
} from './raw-record.js';
import { TOPICS } from './topics.js';

const bytes = Buffer.from([0x53, 0x75, 0x62, 0x6a, 0x3a, 0x20, 0xe9, 0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0xff]);
const sha = createHash('sha256').update(bytes).digest('hex');

describe('encodeRawRecord', () => {
  it('gives a replay the same bytes as the original extraction and a header naming what it replays', () => {
    const replayOf = {
      outcome: { topic: TOPICS.dlq, partition: 3, offset: '17' },
      rawRecord: { partition: 1, offset: '42' },
    };
    const record = encodeRawRecord({
      connectorId: 'c1',
      uidl: 'u1',
      extractedAt: '2026-12-02T04:00:00.000Z',
      body: rawBodyOf({ inline: bytes }),
      replayOf,
    });
    expect(record.topic).toBe(TOPICS.raw);
    // Keyed by raw id, as the original extraction was: the replay lands on the original's partition.
    expect(record.key).toBe(`c1/${sha}`);
    expect(record.value.equals(bytes)).toBe(true);
    const headers = parseRawHeaders(record.headers);
    expect(headers).toMatchObject({ sha256: sha, size: bytes.length, contentType: RAW_CONTENT_TYPES.inline, replayOf });
  });

  it('replays a claim-checked message as the same claim check', () => {
    const claim = { store: 'fs', key: `${sha.slice(0, 2)}/${sha}`, sha256: sha, size: 700_000 };
    const body = rawBodyOf({ claimCheck: claim });
    expect(body).toEqual(claimCheckRawBody(claim));
    expect(JSON.parse(body.value.toString())).toEqual(claim);
    expect(body).toMatchObject({ contentType: RAW_CONTENT_TYPES.claimCheck, sha256: sha, size: 700_000 });
  });

  it('leaves an ordinary record without the replay header, and refuses a broken one on read', () => {
    const record = encodeRawRecord({
      connectorId: 'c1',
      uidl: 'u1',
      extractedAt: '2026-12-02T04:00:00.000Z',
      body: rawBodyOf({ inline: bytes }),
    });
    expect(Object.keys(record.headers)).not.toContain('jw-replay-of');
    expect(() => parseRawHeaders({ ...record.headers, 'jw-replay-of': '{not json' })).toThrow(/replayOf/);
  });
});

describe('rawRecordKey', () => {
  it('keys a message by its raw id, so one connector spreads over partitions and a copy does not', () => {
    const other = createHash('sha256').update('another message').digest('hex');
    expect(rawRecordKey('c1', sha)).toBe(`c1/${sha}`);
    expect(rawRecordKey('c1', other)).not.toBe(rawRecordKey('c1', sha));
    expect(rawRecordKey('c2', sha)).not.toBe(rawRecordKey('c1', sha));
  });

  it('bounds the key of a connector id too long for a key, and names the connector back when it can', () => {
    const long = 'c'.repeat(300);
    expect(rawRecordKey(long, sha)).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(connectorOfKey(rawRecordKey('c1', sha))).toBe('c1');
    expect(connectorOfKey(Buffer.from(`tenant/c1/${sha}`))).toBe('tenant/c1');
    expect(connectorOfKey('c1')).toBe('c1');
    expect(connectorOfKey(rawRecordKey(long, sha))).toBeNull();
    expect(connectorOfKey(null)).toBeNull();
  });
});
