import { describe, expect, it } from 'vitest';
import { toProduceRequests } from './reliable-producer.js';

describe('toProduceRequests', () => {
  it('keeps every request under the size bound, in order, without losing a record', () => {
    const records = Array.from({ length: 50 }, (_, i) => ({
      topic: i % 2 ? 'a' : 'b',
      key: `k${i}`,
      value: Buffer.alloc(100 * 1024, i),
    }));
    const requests = toProduceRequests(records, 300 * 1024);
    expect(requests.length).toBeGreaterThan(10);
    const flattened = requests.flatMap((r) => r.topicMessages.flatMap((t) => t.messages.map((m) => m.key)));
    expect(flattened.sort()).toEqual(records.map((r) => r.key).sort());
    for (const request of requests) {
      const bytes = request.topicMessages.flatMap((t) => t.messages).reduce((sum, m) => sum + m.value.length, 0);
      expect(bytes).toBeLessThanOrEqual(300 * 1024);
      expect(request.acks).toBe(-1);
    }
  });

  it('counts the headers: records whose metadata is in headers are split by it too', () => {
    const records = Array.from({ length: 10 }, (_, i) => ({
      topic: 't',
      key: `k${i}`,
      value: Buffer.alloc(10),
      headers: { 'jw-meta': 'x'.repeat(100 * 1024) },
    }));
    expect(toProduceRequests(records, 300 * 1024).length).toBeGreaterThanOrEqual(4);
  });

  it('sends a record larger than the bound on its own', () => {
    const requests = toProduceRequests([{ topic: 't', key: 'big', value: Buffer.alloc(2000) }], 1000);
    expect(requests).toHaveLength(1);
  });
});
