import { ROOT_CONTEXT, SpanKind, trace, type Context, type Link, type SpanContext } from '@opentelemetry/api';
import { LRUCache } from 'lru-cache';
import { activeSpanContext, tracer, tracingEnabled } from '../platform/tracing.ts';

/** Orders remembered at most: about the orders a worker has in flight; an older one just loses its trace's tail. */
const MAX_ORDERS = 20_000;

/**
 * Which trace each order belongs to, for the dispatch rounds. A round runs on a timer for many orders at once, outside
 * any one message's span, so the `order.placed` consumer remembers its span per order here and the round continues an
 * order's trace from it when it assigns the order's batch. In memory, per worker: after a restart or a rebalance an
 * order's assignment starts no span (its trace ends at the consumer), which costs a trace's tail, never a decision.
 */
export class OrderTraces {
  private readonly spans = new LRUCache<string, SpanContext>({ max: MAX_ORDERS });

  /** Remembers the active span (the consumer's) as `orderId`'s. No-op with tracing off or outside a span. */
  remember(orderId: string): void {
    const span = activeSpanContext();
    if (span !== undefined) this.spans.set(orderId, span);
  }

  /**
   * Starts an INTERNAL span `dispatch assign` for a batch of `orderIds`: the child of the first remembered order's span,
   * linked to the others' (a batch joins several orders' traces). Undefined when tracing is off or none is remembered.
   */
  startAssign(orderIds: readonly string[], attributes: Record<string, string | number>): AssignSpan | undefined {
    if (!tracingEnabled()) return undefined;
    const known = orderIds.flatMap((id) => {
      const span = this.spans.get(id);
      return span === undefined ? [] : [span];
    });
    const [first, ...others] = known;
    if (first === undefined) return undefined;
    const parent = trace.setSpanContext(ROOT_CONTEXT, first);
    const links: Link[] = others.map((context) => ({ context }));
    const span = tracer().startSpan('dispatch assign', { kind: SpanKind.INTERNAL, links, attributes }, parent);
    // Assigned orders are not forgotten here: the claim may still be lost (the order comes back in a later round), and
    // the LRU drops orders the rounds no longer meet.
    return {
      context: trace.setSpan(parent, span),
      end: (outcome) => {
        span.setAttribute('deliverygo.assign.outcome', outcome ?? 'assigned');
        span.end();
      },
    };
  }
}

/** A started assignment span: `context` is what the batch's outbox rows carry on. */
export interface AssignSpan {
  context: Context;
  /** Ends the span; `outcome` says why when the batch was not assigned (`claim lost`). */
  end(outcome?: string): void;
}
