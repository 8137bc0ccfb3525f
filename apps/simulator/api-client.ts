import { randomUUID } from 'node:crypto';
import { Agent, fetch } from 'undici';
import type { Point } from './geo-math.ts';

/**
 * The simulator's view of the deliverygo HTTP API (undici's fetch over one keep-alive pool). Answers are typed only
 * as far as the simulator reads them; a non-2xx answer throws `ApiCallError` carrying the status and the error slug.
 */

export class ApiCallError extends Error {
  override name = 'ApiCallError';
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    /** The error body's `error.code` slug, e.g. `delivery.too_far`. */
    readonly code: string | undefined,
    readonly body: unknown,
  ) {
    super(`${method} ${path} answered ${status}${code ? ` ${code}` : ''}`);
  }
}

export interface StoreDto {
  id: string;
  name: string;
  lat: number;
  lon: number;
}
export interface RiderDto {
  id: string;
  name: string;
  status: 'offline' | 'idle' | 'assigned' | 'delivering';
  batch_id: string | null;
}
export interface OrderDto {
  id: string;
  status: string;
  placed_at: string;
}
export interface BatchDto {
  id: string;
  store_id: string;
  status: string;
  rider_id: string | null;
  orders: Array<{ id: string; status: string; sequence: number; drop: Point }>;
  stops: Array<{ kind: 'pickup' | 'drop'; order_id: string | null; lat: number; lon: number }> | null;
}
export interface ConfirmDto {
  batch_id: string;
  order_id: string;
  batch_delivered: boolean;
}

/** `GET /stats/live`: the figures the live map shows, on the API's clock (`timeScale` > 1: simulated). */
export interface LiveStatsDto {
  at: string;
  timeScale: number;
  orders: {
    placed: number;
    delivered: number;
    cancelled: number;
    active: number;
    unassigned: number;
    waitingForRider: number;
  };
  riders: { idle: number; busy: number; offline: number };
  batches: { active: number; meanSize: number | null };
  meanClickToDoorS: number | null;
}

export interface ApiClient {
  listStores(): Promise<StoreDto[]>;
  createStore(name: string, at: Point): Promise<StoreDto>;
  registerRider(name: string, at: Point): Promise<RiderDto>;
  getRider(id: string): Promise<RiderDto>;
  setRiderIdle(id: string, at: Point): Promise<RiderDto>;
  setRiderOffline(id: string): Promise<RiderDto>;
  postLocation(id: string, at: Point, recordedAtMs: number): Promise<void>;
  /** `POST /riders/locations`: many riders' fixes in one request; one outcome per ping. */
  postLocations(
    pings: ReadonlyArray<{ riderId: string; at: Point; recordedAtMs: number }>,
  ): Promise<Array<'accepted' | 'ignored' | 'unknown_rider'>>;
  placeOrder(
    input: { storeId: string; drop: Point; items: Array<{ name: string; qty: number }>; prepMinutes: number },
    idempotencyKey?: string,
  ): Promise<OrderDto>;
  markCooking(orderId: string): Promise<void>;
  markReady(orderId: string): Promise<void>;
  getBatch(id: string): Promise<BatchDto>;
  pickup(batchId: string, riderId: string): Promise<void>;
  confirmDelivery(batchId: string, orderId: string, riderId: string, at: Point): Promise<ConfirmDto>;
  liveStats(): Promise<LiveStatsDto>;
  close(): Promise<void>;
}

/** A client for the API at `baseUrl` (e.g. `http://127.0.0.1:8000`). */
export function createApiClient(
  baseUrl: string,
  options: { timeoutMs?: number; connections?: number } = {},
): ApiClient {
  const dispatcher = new Agent({ connections: options.connections ?? 64, keepAliveTimeout: 10_000 });
  const timeoutMs = options.timeoutMs ?? 10_000;
  const root = baseUrl.replace(/\/+$/, '');

  async function call<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    const res = await fetch(`${root}${path}`, {
      method,
      dispatcher,
      signal: AbortSignal.timeout(timeoutMs),
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = text;
    }
    if (!res.ok) {
      const code = (parsed as { error?: { code?: string } } | null)?.error?.code;
      throw new ApiCallError(method, path, res.status, code, parsed);
    }
    return parsed as T;
  }

  return {
    listStores: async () => (await call<{ items: StoreDto[] }>('GET', '/stores?limit=500')).items,
    createStore: (name, at) => call('POST', '/stores', { name, lat: at.lat, lon: at.lon }),
    registerRider: (name, at) => call('POST', '/riders', { name, lat: at.lat, lon: at.lon, status: 'idle' }),
    getRider: (id) => call('GET', `/riders/${id}`),
    setRiderIdle: (id, at) => call('POST', `/riders/${id}/status`, { status: 'idle', lat: at.lat, lon: at.lon }),
    setRiderOffline: (id) => call('POST', `/riders/${id}/status`, { status: 'offline' }),
    postLocation: async (id, at, recordedAtMs) => {
      await call('POST', `/riders/${id}/location`, {
        lat: at.lat,
        lon: at.lon,
        recorded_at: new Date(recordedAtMs).toISOString(),
      });
    },
    postLocations: async (pings) => {
      const body = {
        pings: pings.map((p) => ({
          rider_id: p.riderId,
          lat: p.at.lat,
          lon: p.at.lon,
          recorded_at: new Date(p.recordedAtMs).toISOString(),
        })),
      };
      return (
        await call<{ results: Array<'accepted' | 'ignored' | 'unknown_rider'> }>('POST', '/riders/locations', body)
      ).results;
    },
    placeOrder: (input, idempotencyKey = randomUUID()) =>
      call(
        'POST',
        '/orders',
        { store_id: input.storeId, drop: input.drop, items: input.items, prep_minutes: input.prepMinutes },
        { 'Idempotency-Key': idempotencyKey },
      ),
    markCooking: async (orderId) => void (await call('POST', `/orders/${orderId}/cooking`)),
    markReady: async (orderId) => void (await call('POST', `/orders/${orderId}/ready`)),
    getBatch: (id) => call('GET', `/batches/${id}`),
    pickup: async (batchId, riderId) => void (await call('POST', `/batches/${batchId}/pickup`, { rider_id: riderId })),
    confirmDelivery: (batchId, orderId, riderId, at) =>
      call('POST', `/batches/${batchId}/confirm-delivery`, {
        order_id: orderId,
        rider_id: riderId,
        lat: at.lat,
        lon: at.lon,
      }),
    liveStats: () => call('GET', '/stats/live'),
    close: () => dispatcher.close(),
  };
}
