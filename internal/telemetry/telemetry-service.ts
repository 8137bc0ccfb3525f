import { latLngToCell } from 'h3-js';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { EventBus, OutgoingRecord } from '../eventbus/event-bus.ts';
import { historyShardKey, record, type PayloadOf } from '../events/catalog.ts';
import { Coalescer } from '../platform/coalescer.ts';
import type {
  GeoStore,
  NearbyRider,
  PingRateLimit,
  RiderPing,
  RiderPingOf,
  RiderPosition,
} from '../geostore/geo-store.ts';
import { channels, MAP_CELL_RESOLUTION, type LiveFeed, type LiveMessage } from '../livefeed/live-feed.ts';
import type { Clock } from '../platform/clock.ts';
import { DEPENDENCY_UNAVAILABLE, dependencyFailure } from '../platform/dependency-errors.ts';
import { AppError, invalidInput, notFound, rateLimited, unavailable } from '../platform/errors.ts';
import type { Logger } from '../platform/logger.ts';
import { readRoute, type RoutePoint } from './history-repository.ts';
import type { KnownRiders } from './known-riders.ts';

/** One GPS fix as the API received it (times in ms since the epoch): the geo store's ping. */
export type PingInput = RiderPing;

type HistoryPing = PayloadOf<'riderLocation'>['pings'][number];

export type PingOutcome = 'accepted' | 'ignored' | 'unknown_rider';

export interface BulkIngestResult {
  /** Pings that became their rider's current position. */
  accepted: number;
  /** Pings not newer than their rider's current position: kept in the history, not made current. */
  ignored: number;
  /** Pings of rider ids that do not exist: dropped. */
  unknownRider: number;
  /** One outcome per ping, in request order. */
  results: PingOutcome[];
}

/** `rider.location` data on the live feed. */
export interface RiderLocationData {
  riderId: string;
  lat: number;
  lon: number;
  recordedAt: string;
  speed?: number;
  heading?: number;
}

export interface TelemetryService {
  /** Takes one ping; throws `rider.not_found` for an unknown rider. */
  ingest(riderId: string, ping: PingInput): Promise<{ applied: boolean }>;
  /** Takes many pings at once; unknown riders are counted, not fatal. `fieldPrefix(i)` names ping i in errors. */
  ingestMany(pings: readonly (PingInput & { riderId: string })[]): Promise<BulkIngestResult>;
  /** The live position; throws `rider.not_found` / `rider.location_unknown`. */
  current(riderId: string): Promise<RiderPosition>;
  /** History between two instants, oldest first. */
  route(riderId: string, from: Date, to: Date, limit: number): Promise<RoutePoint[]>;
  /** Every live rider near a point (any status). */
  nearby(center: { lat: number; lon: number }, radiusM: number, limit: number): Promise<NearbyRider[]>;
}

export interface TelemetryServiceDeps {
  db: Kysely<Database>;
  geo: GeoStore;
  bus: EventBus;
  feed: LiveFeed;
  riders: KnownRiders;
  clock: Clock;
  logger: Logger;
  /** Pings stamped further in the future than this are refused (a device with a wrong clock). Default 5 min. */
  maxFutureMs?: number;
  /**
   * How long a ping waits for the bus to take its history record (`KAFKA_REQUEST_PUBLISH_DEADLINE_MS`) before it is
   * answered 503; the bus itself keeps trying for its own, longer deadline. Default: no limit of its own.
   */
  publishDeadlineMs?: number;
  /**
   * A rider's own GPS pings (`ingest`, `POST /riders/{id}/location`) per second and burst (`RATE_LIMIT_GPS_*`),
   * enforced by the geo store in the ping's own step; unlimited when omitted. The bulk feed (`ingestMany`) is not.
   */
  pingLimit?: PingRateLimit;
}

/**
 * Rider telemetry on the API side. A ping:
 *  1. is checked against the known riders (memory, see known-riders.ts) — unknown → 404;
 *  2. goes to the geo store (current position; an older ping never overwrites a newer one), whose same atomic step
 *     enforces the rider's ping rate when one is configured — over it → 429 `request.rate_limited`
 *     (`details.limit = gps`), and the ping goes no further; then to the bus topic `rider.location` for the history
 *     writer (packed per rider shard, see the catalog). The 202 waits for both: an accepted ping is durable in Kafka;
 *  3. as soon as the geo store says it became current, is published on the live feed (`rider:{id}`, `map`,
 *     `map:{res-5 cell}`) — the fast path to the WebSocket hubs, waiting neither for Kafka nor Postgres. Live
 *     publishing is best effort: a failure is logged, never fails the request.
 */
export function createTelemetryService(deps: TelemetryServiceDeps): TelemetryService {
  const { geo, bus, feed, riders, clock } = deps;
  const log = deps.logger.child({ component: 'telemetry' });
  const maxFutureMs = deps.maxFutureMs ?? 300_000;
  const riderNotFound = (id: string) => notFound('rider.not_found', `rider ${id} does not exist`, { rider_id: id });

  /** Refuses a ping from the future; `index`: its place in a bulk post (the field name is built only to throw). */
  const checkFuture = (recordedAt: number, now: number, index?: number) => {
    if (recordedAt > now + maxFutureMs) {
      const field = index === undefined ? 'recorded_at' : `pings[${index}].recorded_at`;
      throw invalidInput(
        'telemetry.recorded_at_in_future',
        `${field}: is more than ${maxFutureMs / 1000} s in the future`,
        { field },
      );
    }
  };

  /** The ping as the history stores it; its `recordedAt` (ISO) is reused by `locationData`, not formatted twice. */
  const historyPing = (riderId: string, p: PingInput): HistoryPing => {
    const ping: HistoryPing = { riderId, lat: p.lat, lon: p.lon, recordedAt: new Date(p.recordedAt).toISOString() };
    if (p.speed !== undefined) ping.speed = p.speed;
    if (p.heading !== undefined) ping.heading = p.heading;
    if (p.accuracy !== undefined) ping.accuracy = p.accuracy;
    return ping;
  };

  /** One `rider.location` record per rider shard present (a rider's pings keep their order within it). */
  const historyRecords = (pings: readonly HistoryPing[]): OutgoingRecord[] => {
    const now = new Date(clock.now());
    const byShard = new Map<string, HistoryPing[]>();
    for (const p of pings) {
      const key = historyShardKey(p.riderId);
      const list = byShard.get(key);
      if (list) list.push(p);
      else byShard.set(key, [p]);
    }
    return [...byShard].map(([key, list]) =>
      record('riderLocation', key, { receivedAt: now.toISOString(), pings: list }, now),
    );
  };

  /**
   * The history publisher: pings handed over while a publish is in flight leave together in the next one, packed by
   * shard — under load a few dozen Kafka messages per round trip instead of one per request; idle, no delay.
   */
  const historyPublisher = new Coalescer<readonly HistoryPing[], void>(
    async (batches) => {
      await bus.publishAll(historyRecords(batches.flat()));
      return batches.map(() => undefined);
    },
    { maxInFlight: 1, maxBatch: 256 },
  );

  /**
   * The history publish of one request, bounded by `publishDeadlineMs`. A publish past the deadline leaves the bus
   * "stalled": until it settles (the broker is back, or the bus gives up), later pings fail at once instead of
   * queueing behind it — a broker outage answers 503 in milliseconds, and no backlog of pings already refused (and
   * resent by their riders) builds up to be published on recovery.
   */
  const publishDeadlineMs = deps.publishDeadlineMs ?? Number.POSITIVE_INFINITY;
  let stalled: Promise<unknown> | undefined;
  const busAway = (why: string) =>
    unavailable(DEPENDENCY_UNAVAILABLE, `kafka is unavailable, retry later (${why})`, { dependency: 'kafka' });
  const publishHistory = (pings: readonly HistoryPing[]): Promise<void> => {
    if (stalled) return Promise.reject(busAway('an earlier publish is still unacknowledged'));
    // Whatever the bus says (publish failed after its retries, closed), for the ping it is Kafka being away.
    const sent = historyPublisher.call(pings).catch((error: unknown) => {
      throw error instanceof AppError && error.slug === DEPENDENCY_UNAVAILABLE
        ? error
        : busAway(error instanceof Error ? error.message : String(error));
    });
    if (!Number.isFinite(publishDeadlineMs)) return sent;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const settled = () => {
          if (stalled === sent) stalled = undefined;
        };
        stalled = sent;
        sent.then(settled, settled);
        reject(busAway(`no acknowledgement within ${publishDeadlineMs} ms`));
      }, publishDeadlineMs);
      sent.then(
        () => {
          clearTimeout(timer);
          resolve();
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  };

  const locationData = (riderId: string, p: PingInput, recordedAt: string): RiderLocationData => {
    const data: RiderLocationData = { riderId, lat: p.lat, lon: p.lon, recordedAt };
    if (p.speed !== undefined) data.speed = p.speed;
    if (p.heading !== undefined) data.heading = p.heading;
    return data;
  };
  const mapCellOf = (d: RiderLocationData) => channels.mapCell(latLngToCell(d.lat, d.lon, MAP_CELL_RESOLUTION));

  /** One ping's live messages: `rider:{id}`, `map` and `map:{cell}`. */
  const liveMessages = (data: RiderLocationData, at: string): LiveMessage[] => {
    const type = 'rider.location';
    return [
      { channel: channels.rider(data.riderId), type, data, at },
      { channel: channels.map, type, data, at },
      { channel: mapCellOf(data), type, data, at },
    ];
  };

  /**
   * A bulk post's live messages: each ping on `rider:{id}` (what a customer or a rider view follows), but ONE
   * `rider.locations` message carrying them all on `map` and one per `map:{cell}` — a map redraws a fleet from one
   * frame instead of a thousand, and publishing costs a third.
   */
  const bulkLiveMessages = (accepted: readonly RiderLocationData[], at: string): LiveMessage[] => {
    if (accepted.length === 0) return [];
    const messages: LiveMessage[] = accepted.map((data) => ({
      channel: channels.rider(data.riderId),
      type: 'rider.location',
      data,
      at,
    }));
    const byCell = new Map<string, RiderLocationData[]>();
    for (const data of accepted) {
      const cell = mapCellOf(data);
      const list = byCell.get(cell);
      if (list) list.push(data);
      else byCell.set(cell, [data]);
    }
    const type = 'rider.locations';
    messages.push({ channel: channels.map, type, data: { locations: accepted }, at });
    for (const [channel, locations] of byCell) messages.push({ channel, type, data: { locations }, at });
    return messages;
  };

  const publishLive = (messages: LiveMessage[]): void => {
    if (messages.length === 0) return;
    feed.publishMany(messages).catch((error: unknown) => log.debug({ err: error }, 'live feed publish failed'));
  };

  /** Geo-store and bus failures are the servers being away: 503, not a bug. */
  const dependency = (what: string) => (error: unknown) => {
    if (error instanceof AppError) throw error;
    const outage = dependencyFailure(error);
    if (outage) throw outage;
    throw unavailable(
      `telemetry.${what}_unavailable`,
      `${what} is unavailable: ${error instanceof Error ? error.message : String(error)}`,
    );
  };

  return {
    async ingest(riderId, ping) {
      const now = clock.now();
      checkFuture(ping.recordedAt, now);
      if (!(await riders.exists1(riderId))) throw riderNotFound(riderId);
      const at = new Date(now);
      // The geo store first: it also decides the rider's ping rate, and a refused ping goes nowhere (no history).
      const result = await geo.updateRiderPosition(riderId, ping, deps.pingLimit).catch(dependency('geostore'));
      if (result.retryAfterMs !== undefined) {
        throw rateLimited(
          'request.rate_limited',
          `rider ${riderId} is sending GPS fixes faster than its limit allows`,
          result.retryAfterMs,
          { limit: 'gps', rider_id: riderId },
        );
      }
      const recorded = historyPing(riderId, ping);
      const history = publishHistory([recorded]).catch(dependency('bus'));
      // Live first: the fast path does not wait for Kafka's acknowledgement (the 202 does).
      if (result.applied) {
        publishLive(liveMessages(locationData(riderId, ping, recorded.recordedAt), at.toISOString()));
      }
      await history;
      return { applied: result.applied };
    },

    async ingestMany(pings) {
      const now = clock.now();
      for (let i = 0; i < pings.length; i++) checkFuture(pings[i]!.recordedAt, now, i);
      const existing = await riders.filterExisting(pings.map((p) => p.riderId));
      const known: RiderPingOf[] = [];
      for (const p of pings) if (existing.has(p.riderId)) known.push(p);
      const at = new Date(now);
      const recorded = known.map((p) => historyPing(p.riderId, p));
      const history = known.length > 0 ? publishHistory(recorded).catch(dependency('bus')) : Promise.resolve();
      history.catch(() => undefined); // awaited below
      const applied = known.length > 0 ? await geo.updateRiderPositions(known).catch(dependency('geostore')) : [];
      const results: PingOutcome[] = [];
      const live: RiderLocationData[] = [];
      let k = 0;
      let accepted = 0;
      let ignored = 0;
      for (const p of pings) {
        if (!existing.has(p.riderId)) {
          results.push('unknown_rider');
          continue;
        }
        const history = recorded[k]!;
        if (applied[k++]?.applied) {
          accepted++;
          results.push('accepted');
          live.push(locationData(p.riderId, p, history.recordedAt));
        } else {
          ignored++;
          results.push('ignored');
        }
      }
      publishLive(bulkLiveMessages(live, at.toISOString()));
      await history;
      return { accepted, ignored, unknownRider: pings.length - accepted - ignored, results };
    },

    async current(riderId) {
      if (!(await riders.exists1(riderId))) throw riderNotFound(riderId);
      const position = await geo.getRiderPosition(riderId).catch(dependency('geostore'));
      if (!position) {
        throw notFound(
          'rider.location_unknown',
          `rider ${riderId} has no live position (no ping within the position TTL)`,
          { rider_id: riderId },
        );
      }
      return position;
    },

    async route(riderId, from, to, limit) {
      if (!(await riders.exists1(riderId))) throw riderNotFound(riderId);
      return readRoute(deps.db, riderId, from, to, limit);
    },

    async nearby(center, radiusM, limit) {
      return geo.searchNearby(center, radiusM, limit).catch(dependency('geostore'));
    },
  };
}

/** `KnownRiders` lookup against the `riders` table: one query for any number of ids. */
export function ridersExistIn(db: Kysely<Database>): (ids: readonly string[]) => Promise<string[]> {
  return async (ids) => {
    const rows = await db
      .selectFrom('riders')
      .select('id')
      .where('id', 'in', ids as string[])
      .execute();
    return rows.map((r) => r.id);
  };
}
