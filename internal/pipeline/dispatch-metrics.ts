import { Histogram, type Registry } from 'prom-client';

/** The ready → assigned target: a ready order should have its rider within 30 s. */
export const READY_TO_ASSIGNED_SLA_S = 30;

/** Buckets of `dispatch_ready_to_assigned_seconds`, with a bound at the SLA so its share is exact. */
export const READY_TO_ASSIGNED_BUCKETS = [0.5, 1, 2, 5, 10, 15, 20, 25, 30, 45, 60, 90, 120, 300, 600];

const ORDER_COUNT_BUCKETS = [1, 2, 3, 4, 5, 6, 8, 10, 12];

/** The dispatch histograms a worker observes (regret lives beside its recorder, regret-recorder.ts). */
export interface DispatchMetrics {
  readyToAssigned: Histogram;
  batchSize: Histogram;
  tripOrders: Histogram;
}

const byRegistry = new WeakMap<Registry, DispatchMetrics>();

/** The dispatch histograms of `registry` (created on first call). */
export function dispatchMetrics(registry: Registry): DispatchMetrics {
  let metrics = byRegistry.get(registry);
  if (!metrics) {
    const registers = [registry];
    metrics = {
      readyToAssigned: new Histogram({
        name: 'dispatch_ready_to_assigned_seconds',
        help: `Seconds from an order's ready_marked_at to its batch getting a rider, on the dispatch clock; 0 when the rider was assigned before the kitchen marked it ready. SLA ${READY_TO_ASSIGNED_SLA_S} s.`,
        buckets: READY_TO_ASSIGNED_BUCKETS,
        registers,
      }),
      batchSize: new Histogram({
        name: 'dispatch_batch_size_orders',
        help: 'Orders in a batch when it is sealed (again after a merge).',
        buckets: ORDER_COUNT_BUCKETS,
        registers,
      }),
      tripOrders: new Histogram({
        name: 'dispatch_rider_trip_orders',
        help: 'Orders a rider is given for one trip (the batch assigned to it).',
        buckets: ORDER_COUNT_BUCKETS,
        registers,
      }),
    };
    byRegistry.set(registry, metrics);
  }
  return metrics;
}

/** What one committed dispatch round observed: recorded only after its transaction committed. */
export interface RoundObservations {
  /** Order count of each batch sealed in the round. */
  sealedSizes: number[];
  /** One entry per batch given a rider: the seconds each of its orders waited since being marked ready. */
  assignments: Array<{ readyWaitsS: number[] }>;
}

/** Records a committed round's observations into the dispatch histograms. */
export function recordRound(registry: Registry, observed: RoundObservations): void {
  const metrics = dispatchMetrics(registry);
  for (const size of observed.sealedSizes) metrics.batchSize.observe(size);
  for (const assignment of observed.assignments) {
    metrics.tripOrders.observe(assignment.readyWaitsS.length);
    for (const wait of assignment.readyWaitsS) metrics.readyToAssigned.observe(wait);
  }
}

/** Seconds from `readyMarkedAt` to `assignedAt` (ms), never negative; 0 for an order not marked ready yet. */
export function readyWaitSeconds(readyMarkedAt: Date | null, assignedAtMs: number): number {
  if (readyMarkedAt === null) return 0;
  return Math.max(0, (assignedAtMs - readyMarkedAt.getTime()) / 1000);
}
