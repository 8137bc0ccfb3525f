import { isTopic, type QuarantinedRow, type QuarantineStage, type SilverEvent } from './silver.ts';

/** What exists in Postgres, for the orphan and service-area checks: the ids the events refer to that were found. */
export interface ReferenceData {
  orders: ReadonlySet<string>;
  batches: ReadonlySet<string>;
  riders: ReadonlySet<string>;
  paths: ReadonlySet<string>;
  /** Store id → location: orphan check and the centre of the store's service area. */
  stores: ReadonlyMap<string, { lat: number; lon: number }>;
}

export interface QualityOptions {
  /**
   * The service area: a drop must lie within this many metres of its store (great-circle). There is no configured
   * area; the simulator drops within 2.5 km of a store, the export's default is 15 km (`--service-radius-km`).
   */
  serviceRadiusM: number;
}

/** One check's tally: events it looked at and events it quarantined (the first failing check claims an event). */
export interface CheckTally {
  checked: number;
  failed: number;
}

export interface QualityResult {
  events: SilverEvent[];
  quarantined: QuarantinedRow[];
  checks: Record<Exclude<QuarantineStage, 'schema' | 'duplicate'>, CheckTally>;
  /**
   * Findings that are not errors: `readyAfterPickup` holds the pickups of orders the store marked ready only later —
   * allowed (a rider may take food the store forgot to mark), and analytics counts it as 0 s ready-to-pickup.
   */
  notes: { readyAfterPickup: SilverEvent[] };
}

/**
 * Silver, step two: the data-quality checks, in order — nulls (identifiers present and non-blank), ranges (costs ≥ 0,
 * promise and kitchen estimate not before placement, a batch's orders distinct), service area (a new order's drop
 * within `serviceRadiusM` of its store), orphans (every order, batch, store, rider and path an event names exists in
 * Postgres), then lifecycle: per order placed ≤ marked ready, placed ≤ picked up ≤ delivered, over the events in the
 * range. The event that breaks a check is quarantined with the check and the reason and leaves silver.
 */
export function checkQuality(
  events: readonly SilverEvent[],
  refs: ReferenceData,
  options: QualityOptions,
): QualityResult {
  const tally = (): CheckTally => ({ checked: 0, failed: 0 });
  const checks: QualityResult['checks'] = {
    nulls: tally(),
    ranges: tally(),
    service_area: tally(),
    orphans: tally(),
    lifecycle: tally(),
  };
  const quarantined: QuarantinedRow[] = [];
  const kept: SilverEvent[] = [];
  const perEvent: Array<
    [Exclude<QuarantineStage, 'schema' | 'duplicate' | 'lifecycle'>, (e: SilverEvent) => string | null]
  > = [
    ['nulls', blankIdentifier],
    ['ranges', outOfRange],
    ['service_area', (e) => outsideServiceArea(e, refs, options.serviceRadiusM)],
    ['orphans', (e) => orphanOf(e, refs)],
  ];
  for (const event of events) {
    let failed = false;
    for (const [stage, check] of perEvent) {
      checks[stage].checked++;
      const reason = check(event);
      if (reason !== null) {
        checks[stage].failed++;
        quarantined.push({ source: event.source, stage, reason });
        failed = true;
        break;
      }
    }
    if (!failed) kept.push(event);
  }
  const lifecycle = checkLifecycle(kept);
  checks.lifecycle = { checked: kept.length, failed: lifecycle.bad.size };
  for (const [event, reason] of lifecycle.bad) quarantined.push({ source: event.source, stage: 'lifecycle', reason });
  return {
    events: kept.filter((e) => !lifecycle.bad.has(e)),
    quarantined,
    checks,
    notes: { readyAfterPickup: lifecycle.readyAfterPickup },
  };
}

const IDENTIFIER = /Id$/;

function blankIdentifier(event: SilverEvent): string | null {
  if (event.source.key.trim() === '') return 'message key is blank';
  const payload = event.payload as Record<string, unknown>;
  for (const [field, value] of Object.entries(payload)) {
    if (IDENTIFIER.test(field) && typeof value === 'string' && value.trim() === '') return `${field} is blank`;
  }
  if ('status' in payload && typeof payload.status === 'string' && payload.status.trim() === '')
    return 'status is blank';
  if (
    'orderIds' in payload &&
    Array.isArray(payload.orderIds) &&
    payload.orderIds.some((id) => String(id).trim() === '')
  )
    return 'orderIds holds a blank id';
  return null;
}

function outOfRange(event: SilverEvent): string | null {
  const ms = (iso: string) => Date.parse(iso);
  if (isTopic(event, 'orderPlaced')) {
    const p = event.payload;
    if (ms(p.promisedAt) < ms(p.placedAt)) return `promisedAt ${p.promisedAt} is before placedAt ${p.placedAt}`;
    if (ms(p.readyAt) < ms(p.placedAt)) return `readyAt ${p.readyAt} is before placedAt ${p.placedAt}`;
  }
  if (isTopic(event, 'batchesAssigned')) {
    const p = event.payload;
    if (!(p.estimatedCostS >= 0)) return `estimatedCostS ${p.estimatedCostS} is negative`;
    if (new Set(p.orderIds).size !== p.orderIds.length) return 'orderIds repeats an order';
  }
  if (isTopic(event, 'routesRefined')) {
    const p = event.payload;
    if (!(p.estimatedCostS >= 0)) return `estimatedCostS ${p.estimatedCostS} is negative`;
    if (!(p.refinedCostS >= 0)) return `refinedCostS ${p.refinedCostS} is negative`;
  }
  return null;
}

function orphanOf(event: SilverEvent, refs: ReferenceData): string | null {
  const p = event.payload as Record<string, unknown>;
  const missing = (kind: string, set: { has(id: string): boolean }, id: unknown) =>
    typeof id === 'string' && !set.has(id) ? `${kind} ${id} does not exist` : null;
  const orderIds = Array.isArray(p.orderIds) ? (p.orderIds as unknown[]) : [];
  return (
    missing('store', refs.stores, p.storeId) ??
    missing('order', refs.orders, p.orderId) ??
    orderIds.map((id) => missing('order', refs.orders, id)).find((r) => r !== null) ??
    missing('batch', refs.batches, p.batchId) ??
    missing('rider', refs.riders, p.riderId) ??
    missing('path', refs.paths, p.pathId)
  );
}

function outsideServiceArea(event: SilverEvent, refs: ReferenceData, radiusM: number): string | null {
  if (!isTopic(event, 'orderPlaced')) return null;
  const store = refs.stores.get(event.payload.storeId);
  if (!store) return null; // an unknown store: the orphan check's to report
  const { lat, lon } = event.payload.drop;
  const d = haversineM(store, { lat, lon });
  return d > radiusM
    ? `drop ${lat},${lon} is ${Math.round(d)} m from store ${event.payload.storeId} (service radius ${radiusM} m)`
    : null;
}

/** Great-circle distance in metres. */
export function haversineM(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.min(1, Math.sqrt(h)));
}

interface Lifecycle {
  placed?: number;
  ready?: { at: number; event: SilverEvent };
  pickedUp?: { at: number; event: SilverEvent };
  delivered?: { at: number; event: SilverEvent };
}

/** Per order, the lifecycle instants in the range; the event that comes too early is the bad one. */
function checkLifecycle(events: readonly SilverEvent[]): {
  bad: Map<SilverEvent, string>;
  readyAfterPickup: SilverEvent[];
} {
  const orders = new Map<string, Lifecycle>();
  const of = (id: string) => orders.get(id) ?? orders.set(id, {}).get(id)!;
  const earliest = (current: { at: number } | undefined, at: number) => current === undefined || at < current.at;
  for (const event of events) {
    if (isTopic(event, 'orderPlaced')) of(event.payload.orderId).placed = Date.parse(event.payload.placedAt);
    else if (isTopic(event, 'orderReady')) {
      const o = of(event.payload.orderId);
      const at = Date.parse(event.payload.readyMarkedAt);
      if (earliest(o.ready, at)) o.ready = { at, event };
    } else if (isTopic(event, 'orderUpdated')) {
      const o = of(event.payload.orderId);
      const at = event.occurredAt.getTime();
      if (event.payload.status === 'picked_up' && earliest(o.pickedUp, at)) o.pickedUp = { at, event };
      if (event.payload.status === 'delivered' && earliest(o.delivered, at)) o.delivered = { at, event };
    }
  }
  const bad = new Map<SilverEvent, string>();
  const readyAfterPickup: SilverEvent[] = [];
  const iso = (ms: number) => new Date(ms).toISOString();
  for (const [orderId, o] of orders) {
    if (o.placed !== undefined) {
      for (const [name, step] of [
        ['marked ready', o.ready],
        ['picked up', o.pickedUp],
        ['delivered', o.delivered],
      ] as const) {
        if (step && step.at < o.placed)
          bad.set(step.event, `order ${orderId} ${name} at ${iso(step.at)}, before it was placed at ${iso(o.placed)}`);
      }
    }
    if (o.pickedUp && o.delivered && o.delivered.at < o.pickedUp.at && !bad.has(o.delivered.event))
      bad.set(
        o.delivered.event,
        `order ${orderId} delivered at ${iso(o.delivered.at)}, before it was picked up at ${iso(o.pickedUp.at)}`,
      );
    if (o.ready && o.pickedUp && o.pickedUp.at < o.ready.at) readyAfterPickup.push(o.pickedUp.event);
  }
  return { bad, readyAfterPickup };
}
