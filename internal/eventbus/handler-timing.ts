import { Histogram, type Registry } from 'prom-client';
import type { MessageHandler } from './event-bus.ts';

/** Metric name of the per-topic handler duration histogram. */
export const HANDLER_DURATION_METRIC = 'eventbus_handler_duration_seconds';

const histograms = new WeakMap<Registry, Histogram<'topic' | 'group' | 'outcome'>>();

/** `eventbus_handler_duration_seconds{topic, group, outcome}`, registered once per registry. */
export function handlerDuration(registry: Registry): Histogram<'topic' | 'group' | 'outcome'> {
  let histogram = histograms.get(registry);
  if (!histogram) {
    histogram = new Histogram({
      name: HANDLER_DURATION_METRIC,
      help: 'Seconds from a message reaching its consumer chain to its acknowledgement (retries and dead-lettering included), by topic, group and outcome (ok or error = redelivered).',
      labelNames: ['topic', 'group', 'outcome'] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    histograms.set(registry, histogram);
  }
  return histogram;
}

/**
 * Middleware: times `inner` for every message into `eventbus_handler_duration_seconds`. Wraps the whole chain built by
 * `consume`, so one observation is one delivery (an error outcome means the adapter will redeliver the message).
 * Labels come from the subscription (topic, group), never from the message, so the series stay bounded.
 */
export function withHandlerTiming(
  registry: Registry,
  labels: { topic: string; group: string },
  inner: MessageHandler,
): MessageHandler {
  const histogram = handlerDuration(registry);
  const ok = histogram.labels({ ...labels, outcome: 'ok' });
  const failed = histogram.labels({ ...labels, outcome: 'error' });
  return async (message) => {
    const started = performance.now();
    try {
      await inner(message);
      ok.observe((performance.now() - started) / 1000);
    } catch (error) {
      failed.observe((performance.now() - started) / 1000);
      throw error;
    }
  };
}
