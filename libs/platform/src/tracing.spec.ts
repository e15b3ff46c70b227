import { afterEach, describe, expect, it, vi } from 'vitest';
import { initTracing, shutdownTracing, startTrace, withMessageSpan } from './tracing.js';

const SHAPE = /^00-([\da-f]{32})-([\da-f]{16})-01$/;

afterEach(async () => {
  await shutdownTracing();
  await initTracing('test', 'none');
  vi.restoreAllMocks();
});

async function followOneMessage(): Promise<{ root: string; child: string }> {
  const root = startTrace('poller.extract', { 'journalwire.uidl': 'u1' }) ?? '';
  const child = (await withMessageSpan('envelope.classify', root, {}, async (next) => next)) ?? '';
  return { root, child };
}

describe('tracing', () => {
  it('without an exporter, carries one trace id from stage to stage without the SDK', async () => {
    await initTracing('test', 'none');
    const { root, child } = await followOneMessage();
    expect(root).toMatch(SHAPE);
    expect(child).toMatch(SHAPE);
    expect(child.split('-')[1]).toBe(root.split('-')[1]);
    expect(child.split('-')[2]).not.toBe(root.split('-')[2]);
  });

  it('with an exporter, exports a span per stage in the same trace', async () => {
    const exported: { traceId?: string; parentSpanContext?: { spanId?: string }; name?: string }[] = [];
    vi.spyOn(console, 'dir').mockImplementation((span: unknown) => void exported.push(span as (typeof exported)[0]));
    await initTracing('test', 'console');
    const { root, child } = await followOneMessage();
    await expect(withMessageSpan('policy.apply', child, {}, () => Promise.reject(new Error('no')))).rejects.toThrow(
      'no',
    );
    await shutdownTracing();
    const [, traceId, rootSpan] = SHAPE.exec(root) ?? [];
    expect(child.split('-')[1]).toBe(traceId);
    expect(exported.map((span) => span.name)).toEqual(['poller.extract', 'envelope.classify', 'policy.apply']);
    expect(exported.every((span) => span.traceId === traceId)).toBe(true);
    expect(exported[1]?.parentSpanContext?.spanId).toBe(rootSpan);
  });
});
