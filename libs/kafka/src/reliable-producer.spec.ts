import { describe, expect, it } from 'vitest';
import { toProduceRequests, type ProduceLimits } from './reliable-producer.js';

/** Limits whose partition is the key's trailing number modulo `partitions`. */
function limits(maxPartitionBytes: number, maxRequestBytes: number, partitions = 1): ProduceLimits {
  return {
    maxPartitionBytes,
    maxRequestBytes,
    partitionOf: (_topic: string, key: Buffer) => Number(/\d+$/.exec(key.toString())![0]) % partitions,
  };
}

const bytesOf = (messages: Array<{ value: Buffer }>) => messages.reduce((sum, m) => sum + m.value.length, 0);

describe('toProduceRequests', () => {
  it('keeps every request under the size bound, in order, without losing a record', () => {
    const records = Array.from({ length: 50 }, (_, i) => ({
      topic: i % 2 ? 'a' : 'b',
      key: `k${i}`,
      value: Buffer.alloc(100 * 1024, i),
    }));
    const requests = toProduceRequests(records, limits(300 * 1024, 300 * 1024));
    expect(requests.length).toBeGreaterThan(10);
    const flattened = requests.flatMap((r) => r.topicMessages.flatMap((t) => t.messages.map((m) => m.key.toString())));
    expect(flattened.sort()).toEqual(records.map((r) => r.key).sort());
    for (const request of requests) {
      expect(bytesOf(request.topicMessages.flatMap((t) => t.messages))).toBeLessThanOrEqual(300 * 1024);
      expect(request.acks).toBe(-1);
    }
  });

  it("fills a request with several partitions' batches, each within the partition bound", () => {
    // 60 records of 100 KiB over 6 partitions: 1 MiB per partition, 6 MiB in all.
    const records = Array.from({ length: 60 }, (_, i) => ({
      topic: 't',
      key: `k${i}`,
      value: Buffer.alloc(100 * 1024),
    }));
    const requests = toProduceRequests(records, limits(900 * 1024, 4 * 1024 * 1024, 6));
    expect(requests).toHaveLength(2);
    for (const request of requests) {
      const messages = request.topicMessages.flatMap((t) => t.messages);
      expect(bytesOf(messages)).toBeLessThanOrEqual(4 * 1024 * 1024);
      for (let partition = 0; partition < 6; partition++) {
        const batch = messages.filter((m) => Number(/\d+$/.exec(m.key.toString())![0]) % 6 === partition);
        expect(bytesOf(batch)).toBeLessThanOrEqual(900 * 1024);
      }
    }
    const order = requests.flatMap((r) => r.topicMessages.flatMap((t) => t.messages.map((m) => m.key.toString())));
    expect(order).toEqual(records.map((r) => r.key));
  });

  it('counts the headers: records whose metadata is in headers are split by it too', () => {
    const records = Array.from({ length: 10 }, (_, i) => ({
      topic: 't',
      key: `k${i}`,
      value: Buffer.alloc(10),
      headers: { 'jw-meta': 'x'.repeat(100 * 1024) },
    }));
    expect(toProduceRequests(records, limits(300 * 1024, 4 * 1024 * 1024)).length).toBeGreaterThanOrEqual(4);
  });

  it('sends a record larger than the bound on its own', () => {
    const requests = toProduceRequests([{ topic: 't', key: 'big0', value: Buffer.alloc(2000) }], limits(1000, 1000));
    expect(requests).toHaveLength(1);
  });
});
