import { compatibilityPartitioner } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey } from './partitioner.js';

describe('partitionForKey', () => {
  it('places every key where the client library and the Java client place it', () => {
    const keys = ['', 'a', 'ab', 'abc', 'abcd', 'abcde', '21', 'connector-1', 'é€😀', 'x'.repeat(257)];
    for (let i = 0; i < 2000; i++) keys.push(`${i.toString(36)}-${'k'.repeat(i % 13)}-${(i * 7919).toString(16)}`);
    for (const key of keys) {
      const expected = compatibilityPartitioner(undefined as never, Buffer.from(key));
      for (const count of [1, 6, 7, 64]) expect(partitionForKey(key, count)).toBe(expected % count);
    }
  });

  it("matches the reference values of Kafka's Utils.murmur2", () => {
    // From Kafka's UtilsTest.testMurmur2.
    const cases: Array<[string, number]> = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ];
    for (const [key, hash] of cases) expect(murmur2(Buffer.from(key))).toBe(hash);
  });
});
