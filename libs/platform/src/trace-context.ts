import { randomFillSync } from 'node:crypto';

/**
 * W3C trace context (`traceparent`) without the OpenTelemetry SDK: what a stage puts on its
 * records when no exporter is configured. The SDK's span per message cost about 0.2 ms of CPU per
 * message across the pipeline (docs/operations.md, traces) for spans nobody received; the trace id
 * travels all the same.
 */

const TRACEPARENT = /^([\da-f]{2})-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})(-.*)?$/;
const ZERO_TRACE_ID = '0'.repeat(32);
const ZERO_SPAN_ID = '0'.repeat(16);
const ALL_ZEROS = /^0+$/;

export interface TraceContext {
  traceId: string;
  sampled: boolean;
}

/** The trace a `traceparent` continues, as the W3C propagator reads it; null when it is not valid. */
export function parseTraceparent(traceparent: string | undefined): TraceContext | null {
  const match = traceparent === undefined ? null : TRACEPARENT.exec(traceparent.trim());
  if (!match) return null;
  const [, version, traceId = '', parentId, flags = '', rest] = match;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return null;
  if (traceId === ZERO_TRACE_ID || parentId === ZERO_SPAN_ID) return null;
  return { traceId, sampled: (parseInt(flags, 16) & 1) === 1 };
}

/**
 * The `traceparent` of a new span: a child of `parent` (same trace, same sampled flag), or the root
 * of a new sampled trace when there is no valid parent, as the SDK's default sampler decides.
 */
export function childTraceparent(parent: string | undefined): string {
  const context = parseTraceparent(parent);
  const traceId = context?.traceId ?? randomHex(16);
  const sampled = context?.sampled ?? true;
  return `00-${traceId}-${randomHex(8)}-${sampled ? '01' : '00'}`;
}

/** Random ids come from a pool refilled 4 KiB at a time (one call into OpenSSL per few hundred ids). */
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

function randomHex(bytes: number): string {
  for (;;) {
    if (poolOffset + bytes > pool.length) {
      randomFillSync(pool);
      poolOffset = 0;
    }
    const hex = pool.toString('hex', poolOffset, (poolOffset += bytes));
    // An all-zero id is invalid; draw again (probability 2^-64 or less).
    if (!ALL_ZEROS.test(hex)) return hex;
  }
}
