import { randomUUID } from 'node:crypto';
import { Agent, fetch } from 'undici';
import type { Point } from './geo-math.ts';

/**
 * The simulator's view of the deliverygo HTTP API (undici's fetch over one keep-alive pool). Answers are typed only
 * as far as the simulator reads them; a non-2xx answer throws `ApiCallError` carrying the status and the error slug.
 *
 * Every call carries the credential of whoever makes it in a real city, as any client must: the operator key registers
 * stores and riders, reads the live figures and forwards the fleet's GPS in bulk (a telematics gateway); a store's key
 * (answered once by `POST /stores`) places its orders and takes its kitchen steps; a rider's token (answered by
 * `POST /riders`) moves that rider, reads and carries its batches. Stores the simulator did not create (it reuses a
 * city's stores) have no key it knows, so their kitchens act with the operator key.
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

/**
 * Worth sending again: no answer at all (connection refused or reset, timeout), 429 (over a rate limit) or 503 (a
 * dependency is briefly away) — what a kitchen tablet or rider app would retry. Anything else is final.
 */
export function isRetriable(error: unknown): boolean {
  return !(error instanceof ApiCallError) || error.status === 429 || error.status === 503;
}

export interface StoreDto {
  id: string;
  name: string;
  lat: number;
  lon: number;
  /** The store's key: only in the answer that created it. */
  api_key?: string;
}
export interface RiderDto {
  id: string;
  name: string;
  status: 'offline' | 'idle' | 'assigned' | 'delivering';
  batch_id: string | null;
  /** The rider's token: only in the answer that registered it. */
  token?: string;
}
export interface OrderDto {
  id: string;
  status: string;
  placed_at: string;
  /** The customer's read token for this order. */
  read_token?: string;
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
  /** The batch as its rider sees it. */
  getBatch(id: string, riderId: string): Promise<BatchDto>;
  pickup(batchId: string, riderId: string): Promise<void>;
  confirmDelivery(batchId: string, orderId: string, riderId: string, at: Point): Promise<ConfirmDto>;
  liveStats(): Promise<LiveStatsDto>;
  close(): Promise<void>;
}

/**
 * A client for the API at `baseUrl` (e.g. `http://127.0.0.1:8000`). `key` is the operator key; without one the API
 * answers 401 to everything but its public pages.
 */
export function createApiClient(
  baseUrl: string,
  options: { timeoutMs?: number; connections?: number; key?: string | undefined } = {},
): ApiClient {
  const dispatcher = new Agent({ connections: options.connections ?? 64, keepAliveTimeout: 10_000 });
  const timeoutMs = options.timeoutMs ?? 10_000;
  const root = baseUrl.replace(/\/+$/, '');
  const operator = options.key;
  const storeKeys = new Map<string, string>();
  const riderTokens = new Map<string, string>();
  /** Orders placed and not yet ready → their store, whose key takes the kitchen's steps. */
  const orderStores = new Map<string, string>();
  const asStore = (storeId: string | undefined) => (storeId && storeKeys.get(storeId)) || operator;
  const asRider = (riderId: string) => riderTokens.get(riderId) ?? operator;

  async function call<T>(
    credential: string | undefined,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    const res = await fetch(`${root}${path}`, {
      method,
      dispatcher,
      signal: AbortSignal.timeout(timeoutMs),
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(credential ? { authorization: `Bearer ${credential}` } : {}),
        ...headers,
      },
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
    listStores: async () => (await call<{ items: StoreDto[] }>(operator, 'GET', '/stores?limit=500')).items,
    createStore: async (name, at) => {
      const store = await call<StoreDto>(operator, 'POST', '/stores', { name, lat: at.lat, lon: at.lon });
      if (store.api_key) storeKeys.set(store.id, store.api_key);
      return store;
    },
    registerRider: async (name, at) => {
      const rider = await call<RiderDto>(operator, 'POST', '/riders', {
        name,
        lat: at.lat,
        lon: at.lon,
        status: 'idle',
      });
      if (rider.token) riderTokens.set(rider.id, rider.token);
      return rider;
    },
    getRider: (id) => call(asRider(id), 'GET', `/riders/${id}`),
    setRiderIdle: (id, at) =>
      call(asRider(id), 'POST', `/riders/${id}/status`, { status: 'idle', lat: at.lat, lon: at.lon }),
    setRiderOffline: (id) => call(asRider(id), 'POST', `/riders/${id}/status`, { status: 'offline' }),
    postLocation: async (id, at, recordedAtMs) => {
      await call(asRider(id), 'POST', `/riders/${id}/location`, {
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
        await call<{ results: Array<'accepted' | 'ignored' | 'unknown_rider'> }>(
          operator,
          'POST',
          '/riders/locations',
          body,
        )
      ).results;
    },
    placeOrder: async (input, idempotencyKey = randomUUID()) => {
      const order = await call<OrderDto>(
        asStore(input.storeId),
        'POST',
        '/orders',
        { store_id: input.storeId, drop: input.drop, items: input.items, prep_minutes: input.prepMinutes },
        { 'Idempotency-Key': idempotencyKey },
      );
      orderStores.set(order.id, input.storeId);
      return order;
    },
    markCooking: async (orderId) =>
      void (await call(asStore(orderStores.get(orderId)), 'POST', `/orders/${orderId}/cooking`)),
    markReady: async (orderId) => {
      try {
        await call(asStore(orderStores.get(orderId)), 'POST', `/orders/${orderId}/ready`);
        orderStores.delete(orderId);
      } catch (error) {
        // The kitchen's last step: forget the order's store once the answer is final; a retriable one keeps it.
        if (!isRetriable(error)) orderStores.delete(orderId);
        throw error;
      }
    },
    getBatch: (id, riderId) => call(asRider(riderId), 'GET', `/batches/${id}`),
    pickup: async (batchId, riderId) =>
      void (await call(asRider(riderId), 'POST', `/batches/${batchId}/pickup`, { rider_id: riderId })),
    confirmDelivery: (batchId, orderId, riderId, at) =>
      call(asRider(riderId), 'POST', `/batches/${batchId}/confirm-delivery`, {
        order_id: orderId,
        rider_id: riderId,
        lat: at.lat,
        lon: at.lon,
      }),
    liveStats: () => call(operator, 'GET', '/stats/live'),
    close: () => dispatcher.close(),
  };
}
