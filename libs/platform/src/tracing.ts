import type { Attributes, Context, Span } from '@opentelemetry/api';
import type { TracerProvider } from '@opentelemetry/sdk-trace';
import { childTraceparent } from './trace-context.js';

export type TraceExporterKind = 'none' | 'console' | 'otlp';

/** The OpenTelemetry API and provider, loaded only when an exporter is configured. */
interface Exporting {
  api: typeof import('@opentelemetry/api');
  provider: TracerProvider;
}

let exporting: Exporting | undefined;

/**
 * OpenTelemetry for one service. Every message gets a trace id that travels in the Kafka
 * `traceparent` header from RETR to archive. Spans are created (by the SDK) only when an exporter is
 * configured (OTEL_TRACES_EXPORTER, OTEL_EXPORTER_OTLP_ENDPOINT); otherwise the SDK is not even
 * loaded (about 5 MB less resident memory per idle service) and each stage only writes its child
 * `traceparent` (trace-context.ts).
 */
export async function initTracing(service: string, exporter: TraceExporterKind, otlpEndpoint?: string): Promise<void> {
  if (exporter === 'none') {
    exporting = undefined;
    return;
  }
  const [api, { W3CTraceContextPropagator }, { resourceFromAttributes }, sdk] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/core'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace'),
  ]);
  const spanExporter =
    exporter === 'console'
      ? new sdk.ConsoleSpanExporter()
      : new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter(
          otlpEndpoint ? { url: `${otlpEndpoint.replace(/\/$/, '')}/v1/traces` } : {},
        );
  const provider = new sdk.TracerProvider({
    resource: resourceFromAttributes({ 'service.name': `journalwire-${service}` }),
    spanProcessors: [new sdk.BatchSpanProcessor({ exporter: spanExporter })],
  });
  api.trace.setGlobalTracerProvider(provider);
  api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  exporting = { api, provider };
}

export async function shutdownTracing(): Promise<void> {
  await exporting?.provider.shutdown().catch(() => undefined);
}

/**
 * Runs `work` inside a span that continues the trace in `traceparent` (if any), and gives it the
 * traceparent to put on the records it produces.
 */
export async function withMessageSpan<T>(
  name: string,
  traceparent: string | undefined,
  attributes: Attributes,
  work: (traceparent: string | undefined) => Promise<T>,
): Promise<T> {
  if (!exporting) return work(childTraceparent(traceparent));
  const { context, propagation, trace, SpanStatusCode } = exporting.api;
  const parent = traceparent ? propagation.extract(context.active(), { traceparent }) : context.active();
  const span = trace.getTracer('journalwire').startSpan(name, { attributes }, parent);
  try {
    return await work(injectedTraceparent(exporting.api, span, parent));
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
  if (!exporting) return childTraceparent(undefined);
  const { api } = exporting;
  const span = api.trace.getTracer('journalwire').startSpan(name, { attributes, root: true });
  span.end();
  return injectedTraceparent(api, span, api.context.active());
}

function injectedTraceparent(api: Exporting['api'], span: Span, parent: Context): string | undefined {
  const carrier: Record<string, string> = {};
  api.propagation.inject(api.trace.setSpan(parent, span), carrier);
  return carrier.traceparent;
}
