import { SpanKind } from '@opentelemetry/api';
import { contextOfHeaders, inSpan, TRACEPARENT, tracer, tracingEnabled } from '../platform/tracing.ts';
import type { MessageHandler } from './event-bus.ts';

/**
 * Middleware: runs `inner` inside a CONSUMER span `process <topic>`, the child of the trace context the message's
 * headers carry (W3C `traceparent`, put there by the outbox relay), so everything the handler does — its log lines, its
 * own outbox writes — belongs to that trace. `consume` puts it outermost, so one span is one delivery, retries and
 * dead-lettering included.
 *
 * With tracing off `inner` is returned as it is (nothing added per message). A message without a trace context (GPS
 * pings, rows written outside any request) is handled without a span: no orphan one-span traces.
 */
export function withConsumerSpan(labels: { topic: string; group: string }, inner: MessageHandler): MessageHandler {
  if (!tracingEnabled()) return inner;
  return (message) => {
    if (!(TRACEPARENT in message.headers)) return inner(message);
    const parent = contextOfHeaders(message.headers);
    const span = tracer().startSpan(
      `process ${labels.topic}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.operation.type': 'process',
          'messaging.destination.name': labels.topic,
          'messaging.consumer.group.name': labels.group,
          'messaging.destination.partition.id': String(message.partition),
          'messaging.kafka.offset': message.offset,
          'messaging.kafka.message.key': message.key,
        },
      },
      parent,
    );
    return inSpan(span, parent, () => inner(message));
  };
}
