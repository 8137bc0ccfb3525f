import { Gauge, type Registry } from 'prom-client';

/** The sampled operations gauges (see ops-sampler.ts). Every label set is bounded by configuration, not by traffic. */
export interface OpsGauges {
  outboxBacklog: Gauge;
  outboxRelayLag: Gauge;
  consumerLag: Gauge<'group' | 'topic' | 'partition'>;
  dlqMessages: Gauge<'topic'>;
  riders: Gauge<'state'>;
}

const byRegistry = new WeakMap<Registry, OpsGauges>();

/** The operations gauges registered in `registry` (created on first call). */
export function opsGauges(registry: Registry): OpsGauges {
  let gauges = byRegistry.get(registry);
  if (!gauges) {
    const registers = [registry];
    gauges = {
      outboxBacklog: new Gauge({
        name: 'outbox_backlog_messages',
        help: 'Outbox rows committed but not yet published to the bus (sampled).',
        registers,
      }),
      outboxRelayLag: new Gauge({
        name: 'outbox_relay_lag_seconds',
        help: 'Age in seconds of the oldest unpublished outbox row, 0 when the outbox is drained (sampled).',
        registers,
      }),
      consumerLag: new Gauge({
        name: 'eventbus_consumer_lag_messages',
        help: 'Messages of a partition its consumer group has not acknowledged yet (Kafka: high watermark minus committed offset; in-process bus: undelivered messages), sampled.',
        labelNames: ['group', 'topic', 'partition'] as const,
        registers,
      }),
      dlqMessages: new Gauge({
        name: 'eventbus_dlq_messages',
        help: 'Messages held in the dead-letter topic <topic>.dlq of each consumed topic (sampled).',
        labelNames: ['topic'] as const,
        registers,
      }),
      riders: new Gauge({
        name: 'dispatch_riders',
        help: 'Riders per state (offline, idle, assigned, delivering), sampled from Postgres.',
        labelNames: ['state'] as const,
        registers,
      }),
    };
    byRegistry.set(registry, gauges);
  }
  return gauges;
}
