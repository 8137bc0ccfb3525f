/**
 * Samples what no code path observes by itself — the outbox backlog, consumer lag, dead-letter depth, riders per
 * state — into the gauges of ops-gauges.ts, on an interval, in the worker (and once in `npm start`, which composes it).
 * A gauge whose label set changes (a group left, a partition moved) is reset before the new sample is written, in one
 * synchronous step, so a scrape never sees a stale or half-written set.
 */
import { sql, type Kysely } from 'kysely';
import type { Registry } from 'prom-client';
import type { Database, RiderStatus } from '../db/schema.ts';
import { deadLetterTopic } from '../eventbus/event-bus.ts';
import { supportsInspection } from '../eventbus/bus-inspector.ts';
import type { Logger } from '../platform/logger.ts';
import { startPeriodicLoop, type PeriodicLoop } from '../pipeline/periodic-loop.ts';
import { opsGauges } from './ops-gauges.ts';

export const RIDER_STATES: readonly RiderStatus[] = ['offline', 'idle', 'assigned', 'delivering'];

export interface OpsSamplerDeps {
  db: Kysely<Database>;
  /** The process's bus; lag and dead-letter depth are sampled when it is a `BusInspector`. */
  bus: object;
  registry: Registry;
  logger: Logger;
  /** Default 5 000 ms. */
  intervalMs?: number;
}

/** Samples the outbox, riders and bus once into the gauges. */
export async function sampleOps(deps: Omit<OpsSamplerDeps, 'logger' | 'intervalMs'>): Promise<void> {
  const gauges = opsGauges(deps.registry);
  const [outbox, riders, bus] = await Promise.all([
    sql<{ backlog: string; lag_s: number | null }>`
      select count(*) as backlog, extract(epoch from now() - min(created_at))::float8 as lag_s
      from outbox where published_at is null`.execute(deps.db),
    deps.db
      .selectFrom('riders')
      .select(['status', (eb) => eb.fn.countAll<string>().as('n')])
      .groupBy('status')
      .execute(),
    sampleBus(deps.bus),
  ]);
  const row = outbox.rows[0];
  gauges.outboxBacklog.set(Number(row?.backlog ?? 0));
  gauges.outboxRelayLag.set(Math.max(0, row?.lag_s ?? 0));
  const perState = new Map(riders.map((r) => [r.status, Number(r.n)]));
  for (const state of RIDER_STATES) gauges.riders.set({ state }, perState.get(state) ?? 0);
  if (bus) {
    gauges.consumerLag.reset();
    for (const lag of bus.lags)
      gauges.consumerLag.set({ group: lag.group, topic: lag.topic, partition: String(lag.partition) }, lag.messages);
    gauges.dlqMessages.reset();
    for (const depth of bus.dlq) gauges.dlqMessages.set({ topic: depth.topic }, depth.messages);
  }
}

async function sampleBus(bus: object) {
  if (!supportsInspection(bus)) return undefined;
  const topics = bus.consumedTopics().filter((t) => !t.endsWith('.dlq'));
  const [lags, depths] = await Promise.all([bus.consumerLag(), bus.topicDepth(topics.map(deadLetterTopic))]);
  return { lags, dlq: depths.map((d, i) => ({ topic: topics[i]!, messages: d.messages })) };
}

/** Samples now and then every `intervalMs`; a failed sample is logged and the gauges keep their last values. */
export function startOpsSampler(deps: OpsSamplerDeps): PeriodicLoop {
  const loop = startPeriodicLoop('ops-sampler', deps.intervalMs ?? 5_000, () => sampleOps(deps), deps.logger);
  loop.poke();
  return loop;
}
