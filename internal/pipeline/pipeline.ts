/**
 * The worker-side dispatch, wired. Every decision is the dispatch core's (internal/dispatch/dispatch-round.ts, the same
 * function the MDRPLIB replay runs); this module only decides *when* and *where* a round runs.
 *
 * Scopes follow Kafka partitions. Every store-keyed topic is keyed by store id, so a store's events share one partition
 * number. A worker OWNS the partitions its `order.placed` consumer is assigned (that assignment is the dispatch split;
 * two workers of one group each own part of the city, and a rebalance moves whole scopes):
 *
 *   order.placed                → learn the store into its (owned) scope and poke that scope's loop (and remember the
 *                                 order's trace for the round that assigns it: order-traces.ts)
 *   order.ready, path.provisioned → owned partition: poke the scope; another worker's partition: one nudge round for
 *                                 just that store, at once (those topics' groups are split independently, and the
 *                                 owner would otherwise only see the order at its next sweep)
 *   rider.updated (idle)        → poke every owned scope (a rider is free again)
 *   path.provision              → path provisioner (stale requests asked again by the sweep)
 *   routes.refined              → regret recorder: the batch's estimate error (batch_regret)
 *   regret hindsight loop       → regret of delivered batches whose decision window is over (batch_regret +
 *                                 dispatch_batch_regret; regret-hindsight.ts)
 *   scope loop (per partition)  → runScopeRound: paths, snapshot, core, apply (dispatch-scope.ts), at most once per
 *                                 clock instant, and every `sweepIntervalMs` anyway (riders freed, deadlines reached)
 *   recovery loop               → stores with pending work in an owned partition that no scope knows yet (a restart,
 *                                 or partitions taken over in a rebalance) are learned into their scope
 *
 * Rounds over the same stores serialise on store locks (a nudge and the owner's round never interleave) and riders are
 * claimed atomically, so no order ends in two batches and no rider in two trips even while a rebalance is under way.
 */
import type { z } from 'zod';
import { consume, type EventHandler } from '../eventbus/middleware.ts';
import type { Subscription } from '../eventbus/event-bus.ts';
import { topics, type PayloadOf, type TopicName } from '../events/catalog.ts';
import { runScopeRound, type ScopeRoundOutcome } from './dispatch-scope.ts';
import { provisionPath, retryStalePathRequests } from './path-provisioner.ts';
import { startPeriodicLoop, type PeriodicLoop } from './periodic-loop.ts';
import { tracingEnabled } from '../platform/tracing.ts';
import { OrderTraces } from './order-traces.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import { computeDueRegrets } from './regret-hindsight.ts';
import { recordRouteEstimate, regretHistogram } from './regret-recorder.ts';

/** Consumer group names, one per consumer (the Kafka adapter scopes them per topic as well). */
export const PIPELINE_GROUPS = {
  placed: 'pipeline.dispatch-placed',
  ready: 'pipeline.dispatch-ready',
  provisioned: 'pipeline.dispatch-provisioned',
  provisioner: 'pipeline.path-provisioner',
  regret: 'pipeline.regret',
  riderFreed: 'pipeline.rider-freed',
} as const;

export interface RunningPipeline {
  /** Runs every known scope's round (and the recovery round) now. */
  poke(): void;
  /** Resolves once no round is running or queued. */
  settled(): Promise<void>;
  /** Stores per scope (partition), as learned from the events so far. */
  scopes(): ReadonlyMap<number, ReadonlySet<string>>;
  /** Partitions of `order.placed` this worker owns (its dispatch scopes). */
  ownedPartitions(): ReadonlySet<number>;
  /** Totals of every round so far (tests, benchmarks, logs). */
  readonly totals: {
    rounds: number;
    batched: number;
    sealed: number;
    merged: number;
    assigned: number;
    claimsLost: number;
  };
  /** Stops the loops, then the consumers (each finishes the message in hand). */
  stop(): Promise<void>;
}

/** Subscribes the consumers and starts the scope, recovery and path-request loops. */
export async function startPipeline(input: PipelineDeps): Promise<RunningPipeline> {
  // Only with tracing on: off, the consumer remembers nothing and the rounds start no span.
  const deps: PipelineDeps = {
    ...input,
    orderTraces: input.orderTraces ?? (tracingEnabled() ? new OrderTraces() : undefined),
  };
  const log = deps.logger.child({ component: 'pipeline' });
  regretHistogram(deps.registry); // exported from the start, even before the first batch
  const subscriptions: Subscription[] = [];
  const scopeStores = new Map<number, Set<string>>();
  const scopeLoops = new Map<number, PeriodicLoop>();
  const lastRoundAt = new Map<number, number>();
  const loops: PeriodicLoop[] = [];
  const totals = { rounds: 0, batched: 0, sealed: 0, merged: 0, assigned: 0, claimsLost: 0 };
  let stopping = false;
  const interval = deps.sweepIntervalMs ?? 1_000;
  // setTimeout takes at most 2^31 − 1 ms.
  const slowInterval = Math.min(interval * 5, 2 ** 31 - 1);

  const count = (outcome: ScopeRoundOutcome) => {
    totals.rounds++;
    totals.batched += outcome.batched;
    totals.sealed += outcome.sealed;
    totals.merged += outcome.merged;
    totals.assigned += outcome.assigned;
    totals.claimsLost += outcome.claimsLost;
  };

  const scopeLoop = (scope: number): PeriodicLoop => {
    let loop = scopeLoops.get(scope);
    if (!loop) {
      loop = startPeriodicLoop(
        `dispatch scope ${scope}`,
        interval,
        async () => {
          // One round per clock instant: a second round at the same instant could only second-guess the first.
          const now = deps.clock.now();
          if (lastRoundAt.get(scope) === now) return;
          lastRoundAt.set(scope, now);
          count(await runScopeRound(deps, [...(scopeStores.get(scope) ?? [])]));
        },
        log,
      );
      scopeLoops.set(scope, loop);
    }
    return loop;
  };

  /** Partitions of `order.placed` this worker owns; set by the group's assignment. */
  let owned = new Set<number>();
  const retiring: Promise<void>[] = [];
  const assign = (partitions: readonly number[]): void => {
    owned = new Set(partitions);
    for (const [scope, loop] of scopeLoops) {
      if (owned.has(scope)) continue;
      // A partition moved to another worker: its stores are that worker's now.
      scopeLoops.delete(scope);
      scopeStores.delete(scope);
      lastRoundAt.delete(scope);
      retiring.push(loop.stop());
    }
    log.info({ partitions: [...owned].sort((a, b) => a - b) }, 'dispatch scopes assigned');
    recovery.poke();
  };

  const learn = (scope: number, storeId: string): void => {
    if (stopping || !owned.has(scope)) return;
    let stores = scopeStores.get(scope);
    if (!stores) {
      stores = new Set();
      scopeStores.set(scope, stores);
    }
    stores.add(storeId);
    scopeLoop(scope).poke();
  };
  const pokeAll = (): void => {
    for (const scope of scopeLoops.keys()) scopeLoop(scope).poke();
  };

  // Stores whose event reached this worker although another one owns their partition: one round each, coalesced.
  const nudged = new Set<string>();
  const nudges = startPeriodicLoop(
    'dispatch nudges',
    slowInterval,
    async () => {
      const stores = [...nudged];
      nudged.clear();
      if (stores.length > 0) count(await runScopeRound(deps, stores));
    },
    log,
  );
  loops.push(nudges);
  const onStoreEvent = (partition: number, storeId: string): void => {
    if (stopping) return;
    if (owned.has(partition)) {
      learn(partition, storeId);
      return;
    }
    nudged.add(storeId);
    nudges.poke();
  };

  // Stores with pending work in an owned partition that no scope knows (after a restart or a rebalance).
  const recovery = startPeriodicLoop(
    'dispatch recovery',
    slowInterval,
    async () => {
      if (owned.size === 0) return;
      const known = new Set([...scopeStores.values()].flatMap((s) => [...s]));
      const pending = await deps.db
        .selectFrom('orders')
        .select('store_id')
        .distinct()
        .where('status', 'in', ['placed', 'cooking', 'ready', 'batched'])
        .execute();
      for (const { store_id: storeId } of pending) {
        if (!known.has(storeId)) learn(await deps.bus.partitionOf(topics.orderPlaced.name, storeId), storeId);
      }
    },
    log,
  );
  loops.push(recovery);
  const pathRequests = startPeriodicLoop('stale path requests', slowInterval, () => retryStalePathRequests(deps), log);
  loops.push(pathRequests);
  const hindsight = startPeriodicLoop('regret hindsight', slowInterval, () => computeDueRegrets(deps), log);
  loops.push(hindsight);

  const stop = async (): Promise<void> => {
    stopping = true;
    await Promise.all([...loops, ...scopeLoops.values()].map((l) => l.stop()));
    await Promise.all(retiring);
    await Promise.all(subscriptions.map((s) => s.close()));
  };

  const on = async <T extends TopicName>(
    topic: T,
    group: string,
    handler: EventHandler<PayloadOf<T>>,
    onAssignment?: (partitions: readonly number[]) => void,
  ) => {
    subscriptions.push(
      await consume(deps.bus, {
        topic: topics[topic].name,
        group,
        schema: topics[topic].schema as unknown as z.ZodType<PayloadOf<T>>,
        handler,
        ...deps.consume,
        logger: log,
        registry: deps.registry,
        clock: deps.clock,
        onAssignment,
      }),
    );
  };

  try {
    await Promise.all([
      on(
        'orderPlaced',
        PIPELINE_GROUPS.placed,
        async (event, message) => {
          deps.orderTraces?.remember(event.payload.orderId);
          // Inside the consumer's span: with tracing on, this line carries the order's trace_id.
          log.debug(
            { orderId: event.payload.orderId, storeId: event.payload.storeId, partition: message.partition },
            'order placed: dispatch scope poked',
          );
          onStoreEvent(message.partition, event.payload.storeId);
        },
        assign,
      ),
      on('orderReady', PIPELINE_GROUPS.ready, async (event, message) =>
        onStoreEvent(message.partition, event.payload.storeId),
      ),
      on('pathProvisioned', PIPELINE_GROUPS.provisioned, async (event, message) =>
        onStoreEvent(message.partition, event.payload.storeId),
      ),
      on('pathProvision', PIPELINE_GROUPS.provisioner, async (event) => {
        await provisionPath(deps, event.payload);
      }),
      on('routesRefined', PIPELINE_GROUPS.regret, async (event) => {
        await recordRouteEstimate(deps, event.payload);
      }),
      on('riderUpdated', PIPELINE_GROUPS.riderFreed, async (event) => {
        if (event.payload.status === 'idle') pokeAll();
      }),
    ]);
    return {
      poke: () => {
        pokeAll();
        recovery.poke();
      },
      settled: async () => {
        await Promise.all([recovery, nudges, ...scopeLoops.values()].map((l) => l.settled()));
      },
      scopes: () => scopeStores,
      ownedPartitions: () => owned,
      totals,
      stop,
    };
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
}
