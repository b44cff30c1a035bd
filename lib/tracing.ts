/**
 * OpenTelemetry tracing, on only when OTEL_EXPORTER_OTLP_ENDPOINT is set:
 * spans go to `<endpoint>/v1/traces` (OTLP over HTTP, JSON), the W3C
 * `traceparent` header carries the trace from the gateway to the subgraphs
 * and from the connectors to external services. Off, every helper here is a
 * cheap no-op (the API's non-recording spans, no headers injected).
 */
import {
  context,
  propagation,
  trace,
  INVALID_SPAN_CONTEXT,
  SpanKind,
  SpanStatusCode,
  type Attributes,
  type Span,
} from '@opentelemetry/api';
import type { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { createRequire } from 'node:module';

let provider: BasicTracerProvider | undefined;

/** Starts tracing for this process (once) when an OTLP endpoint is configured. */
export function initTracing(serviceName: string, endpoint: string | undefined): void {
  if (!endpoint || provider) return;
  // The SDK and the OTLP exporter (with its generated protobuf code, ~1 MB of source) are loaded only when
  // tracing is on: a process without an endpoint does not pay their memory. Synchronous (CommonJS builds),
  // so tracing is set up before the servers start.
  const require = createRequire(import.meta.url);
  const { AsyncLocalStorageContextManager } =
    require('@opentelemetry/context-async-hooks') as typeof import('@opentelemetry/context-async-hooks');
  const { W3CTraceContextPropagator } = require('@opentelemetry/core') as typeof import('@opentelemetry/core');
  const { Resource } = require('@opentelemetry/resources') as typeof import('@opentelemetry/resources');
  const { BasicTracerProvider, BatchSpanProcessor } =
    require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  const { OTLPTraceExporter } =
    require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  provider = new BasicTracerProvider({
    resource: new Resource({ 'service.name': serviceName }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces`, timeoutMillis: 5_000 })),
    ],
  });
  provider.register({ contextManager: new AsyncLocalStorageContextManager().enable(), propagator: new W3CTraceContextPropagator() });
}

/** Whether this process traces (initTracing found an endpoint): what installs per-call span hooks. */
export function tracingEnabled(): boolean {
  return provider !== undefined;
}

/** Sends the spans still buffered (shutdown). */
export async function shutdownTracing(): Promise<void> {
  await provider?.shutdown().catch(() => {});
}

const tracer = () => trace.getTracer('tma-gateway');
/** What the span helpers hand to their work when tracing is off (no context switch, no header parsing per request). */
const NOT_TRACING: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

async function inSpan<T>(span: Span, parent: ReturnType<typeof context.active>, work: (span: Span) => Promise<T>): Promise<T> {
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw error;
  } finally {
    span.end();
  }
}

/** A SERVER span for an incoming request, continuing the caller's trace from its `traceparent`. */
export function withServerSpan<T>(
  name: string,
  headers: Record<string, string | string[] | undefined>,
  attributes: Attributes,
  work: (span: Span) => Promise<T>,
): Promise<T> {
  if (!provider) return work(NOT_TRACING);
  const parent = propagation.extract(context.active(), headers);
  return inSpan(tracer().startSpan(name, { kind: SpanKind.SERVER, attributes }, parent), parent, work);
}

/** A CLIENT span for an outgoing call, child of the active span. */
export function withClientSpan<T>(name: string, attributes: Attributes, work: (span: Span) => Promise<T>): Promise<T> {
  if (!provider) return work(NOT_TRACING);
  const parent = context.active();
  return inSpan(tracer().startSpan(name, { kind: SpanKind.CLIENT, attributes }, parent), parent, work);
}

/** Adds `traceparent` (and `tracestate`) of the active span to outgoing headers. */
export function injectTraceHeaders(headers: Record<string, string>): Record<string, string> {
  propagation.inject(context.active(), headers);
  return headers;
}

/** Ids of the active span for log lines, or nothing when not tracing. */
export function activeTraceIds(): { traceId: string; spanId: string } | Record<string, never> {
  const span = trace.getActiveSpan();
  const ctx = span?.spanContext();
  return ctx && trace.isSpanContextValid(ctx) ? { traceId: ctx.traceId, spanId: ctx.spanId } : {};
}
