import { describe, expect, it } from 'vitest';
import { dropAbortedBatches } from './read-committed.js';

type Partition = Parameters<typeof dropAbortedBatches>[0];

const marker = (offset: bigint, producerId: bigint, type: 0 | 1) => ({
  firstOffset: offset,
  lastOffsetDelta: 0,
  attributes: 48,
  producerId,
  records: [{ key: Buffer.from([0, 0, 0, type]) }],
});
const data = (offset: bigint, count: number, producerId: bigint, transactional = true) => ({
  firstOffset: offset,
  lastOffsetDelta: count - 1,
  attributes: transactional ? 16 : 0,
  producerId,
  records: Array.from({ length: count }, () => ({ key: null })),
});

/** First offsets of the batches that still hold records. */
const delivered = (partition: Partition) =>
  partition.records!.filter((b) => b.records.length > 0).map((b) => b.firstOffset);

describe('dropAbortedBatches', () => {
  it('drops every aborted transaction of a producer, not only its last, and keeps the committed ones and markers', () => {
    const partition = {
      abortedTransactions: [
        { producerId: 41n, firstOffset: 42n },
        { producerId: 41n, firstOffset: 21n },
      ],
      records: [
        data(0n, 20, 40n),
        marker(20n, 40n, 1),
        data(21n, 20, 41n),
        marker(41n, 41n, 0),
        data(42n, 20, 41n),
        marker(62n, 41n, 0),
        data(63n, 5, 41n),
        marker(68n, 41n, 1),
        data(69n, 2, 7n, false),
      ],
    } as unknown as Partition;
    dropAbortedBatches(partition);
    expect(delivered(partition)).toEqual([0n, 20n, 41n, 62n, 63n, 68n, 69n]);
  });

  it('keeps another producer’s records interleaved with an aborted transaction', () => {
    const partition = {
      abortedTransactions: [{ producerId: 1n, firstOffset: 0n }],
      records: [data(0n, 2, 1n), data(2n, 2, 2n), marker(4n, 1n, 0), marker(5n, 2n, 1)],
    } as unknown as Partition;
    dropAbortedBatches(partition);
    expect(delivered(partition)).toEqual([2n, 4n, 5n]);
  });

  it('keeps an aborted batch as an empty one, so a response of nothing but an aborted range still moves the position', () => {
    const partition = {
      abortedTransactions: [{ producerId: 9n, firstOffset: 100n }],
      records: [data(100n, 30, 9n), data(130n, 20, 9n)],
    } as unknown as Partition;
    dropAbortedBatches(partition);
    expect(delivered(partition)).toEqual([]);
    const last = partition.records![partition.records!.length - 1]!;
    expect(last.firstOffset + BigInt(last.lastOffsetDelta)).toBe(149n);
  });
});
