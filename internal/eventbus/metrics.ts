import { Counter, type Registry } from 'prom-client';

/** Counters the consume chain updates when a prom-client `Registry` is passed to `consume`. */
export interface EventBusMetrics {
  handled: Counter<'topic' | 'group'>;
  retries: Counter<'topic' | 'group'>;
  deadLettered: Counter<'topic' | 'group' | 'kind'>;
}

/** One set of counters per registry: prom-client refuses to register a metric name twice. */
const byRegistry = new WeakMap<Registry, EventBusMetrics>();

/** The event-bus counters registered in `registry` (created on first call). */
export function eventBusMetrics(registry: Registry): EventBusMetrics {
  let metrics = byRegistry.get(registry);
  if (!metrics) {
    const registers = [registry];
    metrics = {
      handled: new Counter({
        name: 'eventbus_handled_total',
        help: 'Events handled successfully.',
        labelNames: ['topic', 'group'],
        registers,
      }),
      retries: new Counter({
        name: 'eventbus_retries_total',
        help: 'Handler failures that were retried in place.',
        labelNames: ['topic', 'group'],
        registers,
      }),
      deadLettered: new Counter({
        name: 'eventbus_dead_lettered_total',
        help: 'Messages parked in the dead-letter topic, by kind (poison, permanent or exhausted).',
        labelNames: ['topic', 'group', 'kind'],
        registers,
      }),
    };
    byRegistry.set(registry, metrics);
  }
  return metrics;
}
