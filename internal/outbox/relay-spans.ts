import { SpanKind, trace, type Span } from '@opentelemetry/api';
import type { OutgoingRecord } from '../eventbus/event-bus.ts';
import {
  contextOfHeaders,
  recordFailure,
  TRACEPARENT,
  tracer,
  tracingEnabled,
  withTraceHeaders,
} from '../platform/tracing.ts';

/** The relay's publish spans of one batch: ended together once the bus accepted (or refused) the batch. */
export interface PublishSpans {
  end(error?: unknown): void;
}

/**
 * Starts a PRODUCER span `publish <topic>` for every row whose headers carry a trace context, as that context's child,
 * and rewrites the record's headers to carry the new span, so each consumer's span becomes the publish span's child.
 * Rows without a context (written outside any trace) stay as they are. Undefined when tracing is off or nothing is traced.
 */
export function publishSpans(
  rows: ReadonlyArray<{ id: string | number | bigint; topic: string; headers: Record<string, string> }>,
  records: OutgoingRecord[],
): PublishSpans | undefined {
  if (!tracingEnabled()) return undefined;
  const spans: Span[] = [];
  rows.forEach((row, i) => {
    if (!(TRACEPARENT in row.headers)) return;
    const parent = contextOfHeaders(row.headers);
    const span = tracer().startSpan(
      `publish ${row.topic}`,
      {
        kind: SpanKind.PRODUCER,
        attributes: {
          'messaging.operation.type': 'send',
          'messaging.destination.name': row.topic,
          'deliverygo.outbox.id': String(row.id),
        },
      },
      parent,
    );
    spans.push(span);
    const { [TRACEPARENT]: _replaced, tracestate: _state, ...rest } = row.headers;
    records[i] = { ...records[i]!, headers: withTraceHeaders(rest, trace.setSpan(parent, span)) };
  });
  if (spans.length === 0) return undefined;
  return {
    end: (error) => {
      for (const span of spans) {
        if (error !== undefined) recordFailure(span, error);
        span.end();
      }
    },
  };
}
