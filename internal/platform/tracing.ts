/**
 * OpenTelemetry traces, off unless configured (`config.tracing.tracesUrl`, i.e. `OTEL_EXPORTER_OTLP_ENDPOINT`).
 *
 * One trace follows an order: the API's HTTP span → the outbox row (its `headers` carry the W3C `traceparent`) → the
 * relay's publish span → Kafka headers → each consumer's span → the worker's own outbox writes → the next topic.
 *
 * Off, nothing of the SDK is loaded (it is imported on start only), `@opentelemetry/api` stays on its no-op tracer, and
 * every helper here returns at its first check of `tracingEnabled()`: the hot paths pay one boolean read.
 */
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type SpanContext,
  type Tracer,
} from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Logger } from './logger.ts';

/** What `startTracing` needs from the configuration (`config.tracing`). */
export interface TracingSettings {
  tracesUrl: string | undefined;
  serviceName: string | undefined;
  sampleRatio: number;
}

/** A started (or deliberately not started) tracing setup. */
export interface Tracing {
  readonly enabled: boolean;
  /** Flushes pending spans and unregisters the SDK; a no-op when tracing is off. */
  shutdown(): Promise<void>;
}

/** The header that carries the trace context (W3C Trace Context). */
export const TRACEPARENT = 'traceparent';

const TRACER_NAME = 'deliverygo';
let enabled = false;
let tracerInstance: Tracer | undefined;

/** True while an SDK started by `startTracing` is registered. Read by every instrumented path before doing work. */
export function tracingEnabled(): boolean {
  return enabled;
}

/** deliverygo's tracer (the API's no-op one while tracing is off). */
export function tracer(): Tracer {
  tracerInstance ??= trace.getTracer(TRACER_NAME);
  return tracerInstance;
}

/**
 * Starts the OpenTelemetry Node SDK when `settings.tracesUrl` is set (spans batched to that OTLP/HTTP endpoint) or an
 * `exporter` is injected (tests: spans exported synchronously as each ends). Otherwise starts nothing and returns a
 * disabled handle. Only traces are set up: the SDK's metrics and logs stay off whatever OTEL_* variables say (metrics
 * are prom-client's, logs pino's). Propagation is W3C Trace Context only. One per process.
 */
export async function startTracing(
  settings: TracingSettings,
  options: { serviceName: string; exporter?: SpanExporter; logger?: Logger },
): Promise<Tracing> {
  if (settings.tracesUrl === undefined && options.exporter === undefined) return { enabled: false, shutdown: noop };
  if (enabled) throw new Error('tracing.already_started: startTracing runs once per process');
  // Loaded here, not at the top: a process with tracing off never loads the SDK.
  const [{ NodeSDK }, { W3CTraceContextPropagator }, sdkTrace] = await Promise.all([
    import('@opentelemetry/sdk-node'),
    import('@opentelemetry/core'),
    import('@opentelemetry/sdk-trace-base'),
  ]);
  let processor: InstanceType<typeof sdkTrace.SimpleSpanProcessor | typeof sdkTrace.BatchSpanProcessor>;
  if (options.exporter) {
    processor = new sdkTrace.SimpleSpanProcessor(options.exporter);
  } else {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    processor = new sdkTrace.BatchSpanProcessor(new OTLPTraceExporter({ url: settings.tracesUrl }));
  }
  const sdk = new NodeSDK({
    serviceName: settings.serviceName ?? options.serviceName,
    autoDetectResources: false,
    spanProcessors: [processor],
    sampler: new sdkTrace.ParentBasedSampler({ root: new sdkTrace.TraceIdRatioBasedSampler(settings.sampleRatio) }),
    textMapPropagator: new W3CTraceContextPropagator(),
    // Traces only: without these the SDK would start OTLP metric and log exporters of its own.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [],
  });
  sdk.start();
  enabled = true;
  tracerInstance = undefined;
  options.logger?.info(
    { tracesUrl: settings.tracesUrl ?? '(injected exporter)', sampleRatio: settings.sampleRatio },
    'tracing on',
  );
  let stopping: Promise<void> | undefined;
  return {
    enabled: true,
    shutdown: () =>
      (stopping ??= (async () => {
        enabled = false;
        try {
          await sdk.shutdown();
        } finally {
          // So a later startTracing in the same process (tests) registers afresh.
          trace.disable();
          context.disable();
          propagation.disable();
          tracerInstance = undefined;
        }
      })()),
  };
}

/**
 * `headers` with the trace context of `ctx` (default: the active one) added, for an outbox row or a bus message. Headers
 * that already carry a `traceparent` keep theirs. Off, or with no span in `ctx`, `headers` come back as they are.
 */
export function withTraceHeaders(
  headers: Readonly<Record<string, string>> | undefined,
  ctx?: Context,
): Record<string, string> | undefined {
  if (!enabled || (headers !== undefined && TRACEPARENT in headers)) return headers;
  const from = ctx ?? context.active();
  if (trace.getSpanContext(from) === undefined) return headers;
  const carrier: Record<string, string> = { ...headers };
  propagation.inject(from, carrier);
  return carrier;
}

/** The context that `headers` carry (a remote parent), or the root context when they carry none. */
export function contextOfHeaders(headers: Readonly<Record<string, string>>): Context {
  return propagation.extract(ROOT_CONTEXT, headers);
}

/** `fn` run outside any trace: background work poked from inside a span must not be billed to that span's trace. */
export function runDetached<T>(fn: () => T): T {
  return enabled ? context.with(ROOT_CONTEXT, fn) : fn();
}

/** The span context of the active span, when tracing is on and a span is active. */
export function activeSpanContext(): SpanContext | undefined {
  return enabled ? trace.getSpanContext(context.active()) : undefined;
}

const NO_FIELDS = Object.freeze({}) as Record<string, never>;

/**
 * Log fields of the active span (`trace_id`, `span_id`), for pino's mixin: a log line written while handling a traced
 * request or message can be found from its trace and back. Off: one shared empty object, no allocation.
 */
export function traceLogFields(): { trace_id?: string; span_id?: string } {
  if (!enabled) return NO_FIELDS;
  const span = trace.getSpanContext(context.active());
  return span === undefined ? NO_FIELDS : { trace_id: span.traceId, span_id: span.spanId };
}

/**
 * Runs `fn` as the body of `span`: active while it runs, status ERROR with the exception if it throws, ended either
 * way.
 */
export async function inSpan<T>(span: Span, parent: Context, fn: () => Promise<T>): Promise<T> {
  try {
    return await context.with(trace.setSpan(parent, span), fn);
  } catch (error) {
    recordFailure(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** Marks `span` failed with `error`. */
export function recordFailure(span: Span, error: unknown): void {
  span.recordException(error instanceof Error ? error : String(error));
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

const noop = async (): Promise<void> => {};
