import { context, propagation, trace, SpanStatusCode, type Attributes, type Span } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, ConsoleSpanExporter, TracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace';

export type TraceExporterKind = 'none' | 'console' | 'otlp';

let provider: TracerProvider | undefined;

/**
 * OpenTelemetry for one service. Spans are always created (so every message gets a trace id that
 * travels in the Kafka `traceparent` header from RETR to archive); they are exported only when an
 * exporter is configured (OTEL_TRACES_EXPORTER, OTEL_EXPORTER_OTLP_ENDPOINT).
 */
export function initTracing(service: string, exporter: TraceExporterKind, otlpEndpoint?: string): void {
  const spanProcessors: SpanProcessor[] = [];
  if (exporter === 'console') spanProcessors.push(new BatchSpanProcessor({ exporter: new ConsoleSpanExporter() }));
  if (exporter === 'otlp')
    spanProcessors.push(
      new BatchSpanProcessor({
        exporter: new OTLPTraceExporter(otlpEndpoint ? { url: `${otlpEndpoint.replace(/\/$/, '')}/v1/traces` } : {}),
      }),
    );
  provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': `journalwire-${service}` }),
    spanProcessors,
  });
  trace.setGlobalTracerProvider(provider);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
}

export async function shutdownTracing(): Promise<void> {
  await provider?.shutdown().catch(() => undefined);
}

/**
 * Runs `work` inside a span that continues the trace in `traceparent` (if any), and gives it the
 * traceparent to put on the records it produces.
 */
export async function withMessageSpan<T>(
  name: string,
  traceparent: string | undefined,
  attributes: Attributes,
  work: (traceparent: string | undefined, span: Span) => Promise<T>,
): Promise<T> {
  const parent = traceparent ? propagation.extract(context.active(), { traceparent }) : context.active();
  const span = trace.getTracer('journalwire').startSpan(name, { attributes }, parent);
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(parent, span), carrier);
  try {
    return await work(carrier.traceparent, span);
  } catch (error) {
    span.recordException(error instanceof Error ? error : new Error(String(error)));
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw error;
  } finally {
    span.end();
  }
}

/** Starts a message's trace (a finished root span) and returns its traceparent for the record. */
export function startTrace(name: string, attributes: Attributes): string | undefined {
  const span = trace.getTracer('journalwire').startSpan(name, { attributes, root: true });
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), carrier);
  span.end();
  return carrier.traceparent;
}
