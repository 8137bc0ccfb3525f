/**
 * The in-process GeoStore for the embedded `npm start` mode and unit tests. Every method runs to completion without
 * awaiting, so each one is atomic with respect to the others, which is what the Redis adapter gets from Lua scripts.
 *
 * Searches scan every rider (O(riders)): fine for the embedded mode's simulator fleet, not meant for production sizes.
 * Expired positions are dropped lazily, when a read or a search meets them.
 */
import { haversineM } from '../geo/haversine.ts';
import { systemClock, type Clock } from '../platform/clock.ts';
import {
  GeoStoreClosedError,
  type GeoStore,
  type GeoStoreOptions,
  type LatLng,
  type NearbyRider,
  type PingRateLimit,
  type PingResult,
  type RiderPing,
  type RiderPingOf,
  type RiderPosition,
  type RiderState,
  type RiderStatus,
} from './geo-store.ts';
import {
  assertCell,
  assertId,
  assertPing,
  assertPingBatch,
  assertSearch,
  assertStatus,
  checkCells,
  assertPingLimit,
  riderTtlOf,
} from './validate.ts';
import { gcraStep } from '../ratelimit/rate-limiter.ts';

interface StoredPosition extends RiderPing {
  lastSeenAt: number;
  /** The rider's ping-rate bucket (GCRA TAT), kept with the position as the Redis adapter keeps it in the hash. */
  tat?: number;
}

const OFFLINE: RiderState = { status: 'offline', batchId: null };

export class MemoryGeoStore implements GeoStore {
  readonly adapter = 'memory' as const;
  get riderTtlMs(): number {
    return this.ttlMs;
  }
  private readonly clock: Clock;
  private readonly ttlMs: number;
  private readonly pathsByCell = new Map<string, Set<string>>();
  private readonly cellsByPath = new Map<string, Set<string>>();
  private readonly positions = new Map<string, StoredPosition>();
  /** Only `available` and `busy` riders have an entry: `offline` is the absence of one. */
  private readonly states = new Map<string, RiderState>();
  private epoch: string | null = null;
  private closed = false;

  constructor(options: GeoStoreOptions = {}) {
    this.ttlMs = riderTtlOf(options);
    this.clock = options.clock ?? systemClock;
  }

  async indexPath(pathId: string, cells: readonly string[]): Promise<void> {
    this.assertOpen();
    assertId(pathId, 'pathId');
    const corridor = new Set(checkCells(cells, 'cells', false));
    for (const cell of this.cellsByPath.get(pathId) ?? []) {
      if (!corridor.has(cell)) this.unlink(cell, pathId);
    }
    for (const cell of corridor) {
      let paths = this.pathsByCell.get(cell);
      if (!paths) {
        paths = new Set();
        this.pathsByCell.set(cell, paths);
      }
      paths.add(pathId);
    }
    this.cellsByPath.set(pathId, corridor);
  }

  async pathsForCell(cell: string): Promise<string[]> {
    this.assertOpen();
    assertCell(cell, 'cell');
    return sorted(this.pathsByCell.get(cell));
  }

  async pathsForCells(cells: readonly string[]): Promise<Map<string, string[]>> {
    this.assertOpen();
    const distinct = checkCells(cells, 'cells', true);
    return new Map(distinct.map((cell) => [cell, sorted(this.pathsByCell.get(cell))]));
  }

  async cellsOfPath(pathId: string): Promise<string[]> {
    this.assertOpen();
    assertId(pathId, 'pathId');
    return sorted(this.cellsByPath.get(pathId));
  }

  async removePath(pathId: string): Promise<boolean> {
    this.assertOpen();
    assertId(pathId, 'pathId');
    const corridor = this.cellsByPath.get(pathId);
    if (!corridor) return false;
    for (const cell of corridor) this.unlink(cell, pathId);
    this.cellsByPath.delete(pathId);
    return true;
  }

  async updateRiderPosition(riderId: string, ping: RiderPing, limit?: PingRateLimit): Promise<PingResult> {
    this.assertOpen();
    assertId(riderId, 'riderId');
    assertPing(ping);
    assertPingLimit(limit);
    return this.apply(riderId, ping, this.clock.now(), limit);
  }

  async updateRiderPositions(pings: readonly RiderPingOf[]): Promise<PingResult[]> {
    this.assertOpen();
    assertPingBatch(pings);
    const now = this.clock.now();
    return pings.map((p) => this.apply(p.riderId, p, now));
  }

  async getRiderPosition(riderId: string): Promise<RiderPosition | null> {
    this.assertOpen();
    assertId(riderId, 'riderId');
    const position = this.livePosition(riderId, this.clock.now());
    if (!position) return null;
    return { riderId, ...position, ...this.stateOf(riderId) };
  }

  async getRiderStatus(riderId: string): Promise<RiderState> {
    this.assertOpen();
    assertId(riderId, 'riderId');
    return { ...this.stateOf(riderId) };
  }

  async setRiderAvailability(riderId: string, status: RiderStatus, batchId?: string): Promise<void> {
    this.assertOpen();
    assertId(riderId, 'riderId');
    assertStatus(status);
    if (batchId !== undefined) assertId(batchId, 'batchId');
    if (status === 'offline') this.states.delete(riderId);
    else this.states.set(riderId, { status, batchId: status === 'busy' ? (batchId ?? null) : null });
  }

  async getEpoch(): Promise<string | null> {
    this.assertOpen();
    return this.epoch;
  }

  async setEpoch(epoch: string): Promise<void> {
    this.assertOpen();
    assertId(epoch, 'epoch');
    this.epoch = epoch;
  }

  /** Forgets everything (paths, positions, states, the epoch), as a Redis restarted empty does: for tests. */
  clear(): void {
    this.pathsByCell.clear();
    this.cellsByPath.clear();
    this.positions.clear();
    this.states.clear();
    this.epoch = null;
  }

  async searchAvailable(center: LatLng, radiusM: number, limit: number): Promise<NearbyRider[]> {
    this.assertOpen();
    assertSearch(center, radiusM, limit);
    return this.search(center, radiusM, limit, true);
  }

  async searchNearby(center: LatLng, radiusM: number, limit: number): Promise<NearbyRider[]> {
    this.assertOpen();
    assertSearch(center, radiusM, limit);
    return this.search(center, radiusM, limit, false);
  }

  async claimRider(riderId: string, batchId: string): Promise<boolean> {
    this.assertOpen();
    assertId(riderId, 'riderId');
    assertId(batchId, 'batchId');
    if (this.stateOf(riderId).status !== 'available') return false;
    if (!this.livePosition(riderId, this.clock.now())) return false;
    this.states.set(riderId, { status: 'busy', batchId });
    return true;
  }

  async releaseRider(riderId: string, batchId?: string): Promise<boolean> {
    this.assertOpen();
    assertId(riderId, 'riderId');
    if (batchId !== undefined) assertId(batchId, 'batchId');
    const state = this.stateOf(riderId);
    if (state.status !== 'busy') return false;
    if (batchId !== undefined && state.batchId !== batchId) return false;
    this.states.set(riderId, { status: 'available', batchId: null });
    return true;
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** One ping, as PING_MANY_LUA applies it; with `limit`, after taking a token from the rider's bucket. */
  private apply(riderId: string, ping: RiderPing, now: number, limit?: PingRateLimit): PingResult {
    // The bucket survives an expired position until the next write, as the Redis hash does until PEXPIRE.
    const previousTat = this.positions.get(riderId)?.tat;
    let tat = previousTat;
    if (limit) {
      const step = gcraStep(previousTat, now, limit);
      if (!step.decision.allowed) return { applied: false, retryAfterMs: step.decision.retryAfterMs };
      tat = step.tat;
    }
    const current = this.livePosition(riderId, now);
    if (current && current.recordedAt >= ping.recordedAt) {
      current.tat = tat;
      return { applied: false };
    }
    const stored: StoredPosition = { lat: ping.lat, lon: ping.lon, recordedAt: ping.recordedAt, lastSeenAt: now };
    if (tat !== undefined) stored.tat = tat;
    if (ping.speed !== undefined) stored.speed = ping.speed;
    if (ping.heading !== undefined) stored.heading = ping.heading;
    if (ping.accuracy !== undefined) stored.accuracy = ping.accuracy;
    this.positions.set(riderId, stored);
    return { applied: true };
  }

  private search(center: LatLng, radiusM: number, limit: number, availableOnly: boolean): NearbyRider[] {
    const now = this.clock.now();
    const found: NearbyRider[] = [];
    for (const riderId of [...this.positions.keys()]) {
      const position = this.livePosition(riderId, now);
      if (!position) continue;
      const state = this.stateOf(riderId);
      if (availableOnly && state.status !== 'available') continue;
      const at = { lat: position.lat, lon: position.lon };
      const distanceM = haversineM(center, at);
      if (distanceM <= radiusM) found.push({ riderId, distanceM, position: at, ...state });
    }
    found.sort((a, b) => a.distanceM - b.distanceM || (a.riderId < b.riderId ? -1 : a.riderId > b.riderId ? 1 : 0));
    return found.slice(0, limit);
  }

  /** The position if still live; an expired one is dropped on the way. */
  private livePosition(riderId: string, now: number): StoredPosition | undefined {
    const position = this.positions.get(riderId);
    if (!position) return undefined;
    if (position.lastSeenAt > now - this.ttlMs) return position;
    this.positions.delete(riderId);
    return undefined;
  }

  private stateOf(riderId: string): RiderState {
    return this.states.get(riderId) ?? OFFLINE;
  }

  private unlink(cell: string, pathId: string): void {
    const paths = this.pathsByCell.get(cell);
    if (!paths) return;
    paths.delete(pathId);
    if (paths.size === 0) this.pathsByCell.delete(cell);
  }

  private assertOpen(): void {
    if (this.closed) throw new GeoStoreClosedError();
  }
}

const sorted = (values: Iterable<string> | undefined): string[] => (values ? [...values].sort() : []);
