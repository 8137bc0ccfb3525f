/**
 * With no OTLP endpoint, tracing stays off: no SDK registered, nothing exported, no trace fields on log lines, outbox
 * and bus headers untouched, and the consumer middleware adds no wrapper at all.
 */
import { Writable } from 'node:stream';
import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { createApiApp } from '../../apps/api/app.ts';
import { withConsumerSpan } from '../eventbus/consumer-span.ts';
import type { MessageHandler } from '../eventbus/event-bus.ts';
import { loadConfig } from '../config/config.ts';
import { Registry } from 'prom-client';
import { createLogger } from './logger.ts';
import { startTracing, traceLogFields, tracer, tracingEnabled, withTraceHeaders } from './tracing.ts';

function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: createLogger('info', 'test', sink), lines };
}

describe('tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT)', () => {
  it('is off by configuration, and then starts no SDK', async () => {
    const config = loadConfig({});
    expect(config.tracing.tracesUrl).toBeUndefined();
    const tracing = await startTracing(config.tracing, { serviceName: 'test' });
    expect(tracing.enabled).toBe(false);
    expect(tracingEnabled()).toBe(false);
    // The API's global provider is still the no-op one: spans record nothing.
    expect(tracer().startSpan('x').isRecording()).toBe(false);
    await tracing.shutdown();
  });

  it('exports nothing and leaves logs and headers alone along every instrumented path', async () => {
    const exporter = new InMemorySpanExporter(); // never handed to startTracing: that is what "off" means
    await startTracing(loadConfig({}).tracing, { serviceName: 'test' });
    const { logger, lines } = capturingLogger();

    // A consumer: no wrapper is added, the handler itself is subscribed.
    const handler: MessageHandler = async () => {
      logger.info('handled');
    };
    expect(withConsumerSpan({ topic: 'order.placed', group: 'g' }, handler)).toBe(handler);
    const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await handler({
      topic: 'order.placed',
      key: 'k',
      value: '{}',
      headers: { traceparent },
      partition: 0,
      offset: '0',
    });

    // An HTTP request: no span around it.
    const app = createApiApp({ logger, healthChecks: [], metrics: new Registry() } as never);
    const res = await app.request('/health', { headers: { traceparent } });
    expect(res.status).toBeLessThan(600);

    // Inside an explicitly started (no-op) span, nothing leaks into logs or headers either.
    const span = tracer().startSpan('outer');
    context.with(trace.setSpan(context.active(), span), () => {
      logger.info('inside');
      expect(withTraceHeaders({ a: '1' })).toEqual({ a: '1' });
      expect(withTraceHeaders(undefined)).toBeUndefined();
      expect(traceLogFields()).toEqual({});
    });
    span.end();

    expect(exporter.getFinishedSpans()).toHaveLength(0);
    expect(lines.map((l) => l.msg)).toEqual(['handled', 'inside']);
    for (const line of lines) {
      expect(line).not.toHaveProperty('trace_id');
      expect(line).not.toHaveProperty('span_id');
    }
  });

  it('derives the traces URL from the OTLP endpoint (the OTLP/HTTP rule), or takes the traces endpoint as given', () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing.tracesUrl).toBe(
      'http://collector:4318/v1/traces',
    );
    expect(
      loadConfig({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://jaeger:4318/v1/traces',
      }).tracing.tracesUrl,
    ).toBe('http://jaeger:4318/v1/traces');
    expect(() => loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
    expect(() => loadConfig({ OTEL_TRACES_SAMPLER_ARG: '2' })).toThrow(/OTEL_TRACES_SAMPLER_ARG/);
  });
});
