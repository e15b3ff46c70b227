import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CoalescedPublisher } from './coalesced-publisher.js';

describe('CoalescedPublisher', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('publishes the connectors of many changes once per interval', async () => {
    const published: string[][] = [];
    const publisher = new CoalescedPublisher(async (ids) => void published.push(ids), 250);
    publisher.add(['a']);
    publisher.add(['b', 'a']);
    publisher.add([]);
    expect(published).toEqual([]);
    await vi.advanceTimersByTimeAsync(250);
    expect(published).toEqual([['a', 'b']]);
    publisher.add(['c']);
    await vi.advanceTimersByTimeAsync(250);
    expect(published).toEqual([['a', 'b'], ['c']]);
  });

  it('flush publishes what is pending at once, after a publication under way', async () => {
    const order: string[] = [];
    let release = () => {};
    const publisher = new CoalescedPublisher(async (ids) => {
      if (ids.includes('slow')) await new Promise<void>((resolve) => (release = resolve));
      order.push(ids.join(','));
    }, 250);
    publisher.add(['slow']);
    await vi.advanceTimersByTimeAsync(250);
    publisher.add(['next']);
    const flushed = publisher.flush();
    release();
    await flushed;
    expect(order).toEqual(['slow', 'next']);
    await vi.advanceTimersByTimeAsync(1000);
    expect(order).toEqual(['slow', 'next']);
  });
});
