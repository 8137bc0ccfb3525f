/**
 * One order's trace end to end over the real Postgres, Kafka and Redis: the API's HTTP span → the outbox row's trace
 * context → the relay's publish span → Kafka headers → the worker's consumer span for `order.placed` → the dispatch
 * round's assignment span → the publish spans of the assignment's events → the worker's consumer span on the next topic.
 * Tracing is started as production starts it (`startTracing`), with the SDK's in-memory exporter injected instead of
 * the OTLP one. A log line written by the `order.placed` handler carries the trace id.
 */
import { Writable } from 'node:stream';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PIPELINE_GROUPS } from '../../internal/pipeline/pipeline.ts';
import { offset } from '../../internal/pipeline/test-fixtures.ts';
import { seedStoreRiderOrder } from '../support/seed-order.ts';
import { createLogger } from '../../internal/platform/logger.ts';
import { startTracing, type Tracing } from '../../internal/platform/tracing.ts';
import { startDispatchStack, type DispatchStack } from '../support/dispatch-stack.ts';
import { scaledMs } from '../support/time-scale.ts';

const exporter = new InMemorySpanExporter();
const lines: Array<Record<string, unknown>> = [];
const logger = createLogger(
  'debug',
  'tracing-test',
  new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  }),
);
let tracing: Tracing;
let stack: DispatchStack;

beforeAll(async () => {
  // Before the stack is composed, as the entrypoints do: the API installs its HTTP spans only when tracing is on.
  tracing = await startTracing(
    { tracesUrl: undefined, serviceName: undefined, sampleRatio: 1 },
    {
      serviceName: 'deliverygo-test',
      exporter,
    },
  );
  stack = await startDispatchStack({ name: 'tracing', logger, worker: { sweepIntervalMs: 300 } });
});

afterAll(async () => {
  await stack?.close();
  await tracing?.shutdown();
});

const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
const idOf = (span: ReadableSpan): string => span.spanContext().spanId;
const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;

describe('tracing across API, outbox, Kafka and worker', () => {
  it("links one order's spans end to end, and the handler's log line carries the trace id", async () => {
    const { rider, orderId } = await seedStoreRiderOrder(stack, {
      at: offset({ lat: 52.52, lon: 13.405 }, 0, 0),
      name: 'Trace',
      item: 'ramen',
      riderOffsetM: [150, 80],
      dropOffsetM: [1_200, 700],
    });

    // The chain, each link found as the child of the one before.
    const http = spans().find((s) => s.kind === SpanKind.SERVER && s.name === 'POST /orders')!;
    expect(http, 'the POST /orders span').toBeDefined();
    expect(http.attributes['http.response.status_code']).toBe(201);
    const traceId = http.spanContext().traceId;
    const childOf = (parent: ReadableSpan, kind: SpanKind, name: string): ReadableSpan | undefined =>
      spans().find((s) => s.kind === kind && s.name === name && parentOf(s) === idOf(parent));

    /** The child of `parent` of that kind and name, once it has ended (spans are exported as they end). */
    const eventually = async (parent: ReadableSpan, kind: SpanKind, name: string): Promise<ReadableSpan> => {
      await expect
        .poll(() => childOf(parent, kind, name), {
          timeout: scaledMs(30_000),
          interval: 100,
          message: `${name} under ${parent.name}`,
        })
        .toBeDefined();
      return childOf(parent, kind, name)!;
    };

    // The placement reaches the worker before the kitchen finishes, so the round that assigns the order finds its trace.
    const publishPlaced = await eventually(http, SpanKind.PRODUCER, 'publish order.placed');
    const processPlaced = await eventually(publishPlaced, SpanKind.CONSUMER, 'process order.placed');
    expect(processPlaced.attributes['messaging.consumer.group.name']).toBe(PIPELINE_GROUPS.placed);
    // The kitchen finishes (a request and a trace of its own) once the order is batched: the batch is sealed and
    // assigned to the rider.
    await expect
      .poll(
        async () =>
          (
            await stack.database.db
              .selectFrom('batch_orders')
              .select('order_id')
              .where('order_id', '=', orderId)
              .execute()
          ).length,
        {
          timeout: scaledMs(60_000),
          interval: 100,
        },
      )
      .toBe(1);
    expect((await stack.api('POST', `/orders/${orderId}/ready`)).status).toBe(200);

    const assign = await eventually(processPlaced, SpanKind.INTERNAL, 'dispatch assign');
    expect(assign.attributes['deliverygo.rider.id']).toBe(rider.body.id);
    expect(assign.attributes['deliverygo.assign.outcome']).toBe('assigned');

    // The assignment's events go on through the outbox and Kafka: the worker's rider-freed consumer reads rider.updated.
    const publishRider = await eventually(assign, SpanKind.PRODUCER, 'publish rider.updated');
    await eventually(assign, SpanKind.PRODUCER, 'publish order.updated');
    const processRider = await eventually(publishRider, SpanKind.CONSUMER, 'process rider.updated');
    expect(processRider.attributes['messaging.consumer.group.name']).toBe(PIPELINE_GROUPS.riderFreed);

    // One trace: every span above shares the HTTP span's trace id, and every span of that trace hangs off another one
    // of it, up to the HTTP span (the root: the test's request carried no traceparent).
    const trace = spans().filter((s) => s.spanContext().traceId === traceId);
    const ids = new Set(trace.map(idOf));
    for (const span of [publishPlaced, processPlaced, assign, publishRider, processRider])
      expect(span.spanContext().traceId).toBe(traceId);
    expect(trace.filter((s) => parentOf(s) === undefined)).toEqual([http]);
    for (const span of trace)
      if (span !== http) expect(ids.has(parentOf(span)!), `${span.name} has its parent in the trace`).toBe(true);

    // The ready request is its own trace, and goes on the same way to the worker's order.ready consumer.
    const httpReady = spans().find((s) => s.kind === SpanKind.SERVER && s.name === 'POST /orders/:id/ready')!;
    expect(httpReady.spanContext().traceId).not.toBe(traceId);
    const publishReady = await eventually(httpReady, SpanKind.PRODUCER, 'publish order.ready');
    await eventually(publishReady, SpanKind.CONSUMER, 'process order.ready');

    // The handler's log line carries the trace id and its consumer span's id.
    const line = lines.find((l) => l.msg === 'order placed: dispatch scope poked' && l.orderId === orderId);
    expect(line, 'the order.placed handler logged').toBeDefined();
    expect(line!.trace_id).toBe(traceId);
    expect(line!.span_id).toBe(idOf(processPlaced));
    // And a line outside any span carries none.
    expect(lines.some((l) => l.msg === 'worker started' && !('trace_id' in l))).toBe(true);
  });
});
