/**
 * Tracing on (an in-memory exporter injected through `startTracing`, as production injects the OTLP one): the HTTP
 * middleware, the relay's header rewriting and the consumer middleware link their spans through W3C headers, and log
 * lines written inside carry the trace id. The end-to-end chain over the real servers is tests/integration/tracing.int.test.ts.
 */
import { Writable } from 'node:stream';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { OpenAPIHono } from '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpTracing } from '../../apps/api/http-tracing.ts';
import { MemoryEventBus } from '../eventbus/memory-event-bus.ts';
import { consume } from '../eventbus/middleware.ts';
import { publishSpans } from '../outbox/relay-spans.ts';
import { createLogger } from './logger.ts';
import { startTracing, withTraceHeaders, type Tracing } from './tracing.ts';

const exporter = new InMemorySpanExporter();
let tracing: Tracing;
const lines: Array<Record<string, unknown>> = [];
const logger = createLogger(
  'info',
  'test',
  new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  }),
);

beforeAll(async () => {
  tracing = await startTracing(
    { tracesUrl: undefined, serviceName: undefined, sampleRatio: 1 },
    {
      serviceName: 'test',
      exporter,
    },
  );
});
afterAll(async () => {
  await tracing.shutdown();
});

describe('tracing on', () => {
  it('links HTTP span → outbox headers → publish span → consumer span, and logs carry the trace id', async () => {
    const bus = new MemoryEventBus({ partitions: 1 });
    const handled: string[] = [];
    const sub = await consume(bus, {
      topic: 'order.placed',
      group: 'g',
      maxAttempts: 1,
      backoffMs: 1,
      logger,
      handler: async (event) => {
        logger.info({ id: event.id }, 'handling');
        handled.push(event.id);
      },
    });
    // The API side: a route that writes an "outbox row" (its headers, as enqueue computes them) inside its request.
    let rowHeaders: Record<string, string> | undefined;
    const app = new OpenAPIHono();
    app.use(httpTracing());
    app.post('/orders', (c) => {
      rowHeaders = withTraceHeaders({});
      return c.json({}, 201);
    });
    expect((await app.request('/orders', { method: 'POST' })).status).toBe(201);
    expect(rowHeaders?.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

    // The relay: a publish span per traced row, and the message carries it on.
    const event = { id: 'e1', type: 'order.placed', occurredAt: new Date().toISOString(), payload: {} };
    const records = [{ topic: 'order.placed', key: 's1', event, headers: rowHeaders! }];
    const spans = publishSpans([{ id: '1', topic: 'order.placed', headers: rowHeaders! }], records);
    await bus.publishAll(records);
    spans?.end();
    await expect.poll(() => handled).toEqual(['e1']);
    await sub.close();
    await bus.close();

    const finished = exporter.getFinishedSpans();
    const http = finished.find((s) => s.kind === SpanKind.SERVER)!;
    const publish = finished.find((s) => s.kind === SpanKind.PRODUCER)!;
    const consumer = finished.find((s) => s.kind === SpanKind.CONSUMER)!;
    expect(http.name).toBe('POST /orders');
    expect(publish.name).toBe('publish order.placed');
    expect(consumer.name).toBe('process order.placed');
    const traceId = http.spanContext().traceId;
    expect(new Set(finished.map((s) => s.spanContext().traceId))).toEqual(new Set([traceId]));
    expect(publish.parentSpanContext?.spanId).toBe(http.spanContext().spanId);
    expect(consumer.parentSpanContext?.spanId).toBe(publish.spanContext().spanId);
    expect(consumer.attributes['messaging.consumer.group.name']).toBe('g');

    const line = lines.find((l) => l.msg === 'handling');
    expect(line?.trace_id).toBe(traceId);
    expect(line?.span_id).toBe(consumer.spanContext().spanId);
  });

  it('starts no span for a message without trace context, nor for a GPS ping', async () => {
    exporter.reset();
    const bus = new MemoryEventBus({ partitions: 1 });
    const handled: string[] = [];
    const sub = await consume(bus, {
      topic: 'rider.location',
      group: 'g',
      maxAttempts: 1,
      backoffMs: 1,
      logger,
      handler: async (event) => {
        handled.push(event.id);
      },
    });
    await bus.publish('rider.location', 'r1', {
      id: 'p1',
      type: 'rider.location',
      occurredAt: new Date().toISOString(),
      payload: {},
    });
    await expect.poll(() => handled).toEqual(['p1']);
    await sub.close();
    await bus.close();

    const app = new OpenAPIHono();
    app.use(httpTracing());
    app.post('/riders/:id/location', (c) => c.body(null, 202));
    expect((await app.request('/riders/r1/location', { method: 'POST' })).status).toBe(202);
    expect(exporter.getFinishedSpans()).toHaveLength(0);
  });
});
