import { context, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { describe, expect, it } from 'vitest';
import { childTraceparent, parseTraceparent } from './trace-context.js';

const PARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
const SHAPE = /^00-([\da-f]{32})-([\da-f]{16})-(0[01])$/;

/** What the SDK's W3C propagator makes of a header: its trace id and flags, or null. */
function sdkReading(traceparent: string): { traceId: string; sampled: boolean } | null {
  const extracted = new W3CTraceContextPropagator().extract(
    context.active(),
    { traceparent },
    {
      get: (carrier: Record<string, string>, key) => carrier[key],
      keys: (carrier) => Object.keys(carrier),
    },
  );
  const span = trace.getSpanContext(extracted);
  return span ? { traceId: span.traceId, sampled: (span.traceFlags & 1) === 1 } : null;
}

describe('childTraceparent', () => {
  it('continues the parent trace with a new span id and the same sampled flag', () => {
    const child = childTraceparent(PARENT);
    const [, traceId, spanId, flags] = SHAPE.exec(child) ?? [];
    expect(traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(spanId).not.toBe('b7ad6b7169203331');
    expect(flags).toBe('01');
    expect(SHAPE.exec(childTraceparent(PARENT.replace(/01$/, '00')))?.[3]).toBe('00');
  });

  it('starts a new sampled trace without a valid parent, with different ids each time', () => {
    const ids = new Set<string>();
    for (const parent of [undefined, '', 'garbage', PARENT.replace(/^00/, 'ff')]) {
      const child = childTraceparent(parent);
      expect(child).toMatch(SHAPE);
      expect(child.endsWith('-01')).toBe(true);
      ids.add(child.split('-')[1] as string);
    }
    expect(ids.size).toBe(4);
    const many = new Set(Array.from({ length: 1000 }, () => childTraceparent(undefined)));
    expect(many.size).toBe(1000);
  });
});

describe('parseTraceparent', () => {
  it('reads headers as the SDK propagator does', () => {
    const headers = [
      PARENT,
      PARENT.replace(/01$/, '00'),
      PARENT.replace(/01$/, '03'),
      `${PARENT}-extra`,
      PARENT.replace(/^00/, '01') + '-future',
      PARENT.replace(/^00/, 'ff'),
      `00-${'0'.repeat(32)}-b7ad6b7169203331-01`,
      `00-0af7651916cd43dd8448eb211c80319c-${'0'.repeat(16)}-01`,
      PARENT.toUpperCase(),
      PARENT.slice(0, -1),
      'garbage',
    ];
    for (const header of headers) expect(parseTraceparent(header), header).toEqual(sdkReading(header));
  });
});
