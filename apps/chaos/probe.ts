/**
 * How the fault run tells that orders flow again: a *probe order* placed through the public API after the fault (the
 * same Idempotency-Key on every attempt, so a lost answer never leaves a twin), started cooking and marked ready at
 * once, then watched until dispatch gives it to a rider. That walks the whole chain — API, Postgres, outbox, Kafka,
 * the worker's batching and dispatch, Redis' rider availability. Probe orders are accepted orders like the
 * simulator's: its riders deliver them, and the drain waits for them too.
 */
import { randomUUID } from 'node:crypto';
import { pointAtBearing, type Point } from '../simulator/geo-math.ts';

export interface ApiAnswer {
  /** HTTP status; 0 when the request failed (refused, reset, timed out). */
  status: number;
  body: any;
}

/** One JSON request to the API under test, as the operator (`Authorization: Bearer $OPERATOR_KEY`). */
export type ChaosApi = (
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<ApiAnswer>;

/** A `ChaosApi` for `baseUrl`; every request is bounded by `timeoutMs`. */
export function chaosApi(baseUrl: string, operatorKey: string, timeoutMs = 5_000): ChaosApi {
  return async (method, path, body, headers = {}) => {
    try {
      const res = await fetch(`${baseUrl}${path}`, {
        method,
        signal: AbortSignal.timeout(timeoutMs),
        headers: {
          authorization: `Bearer ${operatorKey}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, body: parsed };
    } catch (error) {
      return { status: 0, body: { error: (error as Error).message } };
    }
  };
}

export interface Recovery {
  /** Milliseconds from the fault to the probe order's 201 (the API takes orders again); null if never. */
  apiMs: number | null;
  /** Milliseconds from the fault to the probe order's assignment to a rider (orders flow again); null if never. */
  flowMs: number | null;
  /** The probe order, once accepted. */
  orderId: string | null;
  /**
   * Orders waiting for a rider (ready or batched, not assigned) when the probe was accepted: the queue it joins. In a
   * rush with every rider out, *orders flow* includes that wait.
   */
  waitingAtAccept?: number | null;
  /** Why it did not recover in time. */
  error?: string;
  /** Non-2xx answers seen while probing, by `status slug` (e.g. `503 dependency.unavailable`, `0 fetch failed`). */
  errors: Record<string, number>;
}

const ASSIGNED = new Set(['assigned', 'picked_up', 'delivered']);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function errorKind(answer: ApiAnswer): string {
  const code = answer.body?.error?.code ?? (answer.status === 0 ? answer.body?.error : undefined);
  return `${answer.status}${code ? ` ${code}` : ''}`;
}

/**
 * Places one probe order at `store` (a drop 300–900 m away) and waits until a rider has it; times are measured from
 * `since` (the fault's instant, `Date.now()` clock) and the whole probe gives up at `deadline`.
 */
export async function probeRecovery(
  api: ChaosApi,
  store: Point & { id: string },
  since: number,
  deadline: number,
  options: { random?: () => number; waiting?: () => Promise<number> } = {},
): Promise<Recovery> {
  const random = options.random ?? Math.random;
  const errors: Record<string, number> = {};
  const note = (a: ApiAnswer) => {
    const k = errorKind(a);
    errors[k] = (errors[k] ?? 0) + 1;
  };
  const key = randomUUID();
  const drop = pointAtBearing(store, 300 + random() * 600, random() * 2 * Math.PI);
  const body = {
    store_id: store.id,
    drop: { lat: Math.round(drop.lat * 1e6) / 1e6, lon: Math.round(drop.lon * 1e6) / 1e6 },
    items: [{ name: 'Chaos probe', qty: 1 }],
    prep_minutes: 0,
  };
  let orderId: string | null = null;
  let apiMs: number | null = null;
  while (Date.now() < deadline) {
    const a = await api('POST', '/orders', body, { 'idempotency-key': key });
    if (a.status === 201 || a.status === 200) {
      orderId = a.body.id as string;
      apiMs = Date.now() - since;
      break;
    }
    note(a);
    await sleep(250);
  }
  if (!orderId) return { apiMs, flowMs: null, orderId, errors, error: 'the API never accepted the probe order' };
  const waitingAtAccept = options.waiting ? await options.waiting().catch(() => null) : null;
  // The kitchen: cooking, then ready (409: it moved on already — fine).
  for (const step of ['cooking', 'ready'] as const) {
    while (Date.now() < deadline) {
      const a = await api('POST', `/orders/${orderId}/${step}`);
      if ((a.status >= 200 && a.status < 300) || a.status === 409) break;
      note(a);
      await sleep(250);
    }
  }
  while (Date.now() < deadline) {
    const a = await api('GET', `/orders/${orderId}`);
    if (a.status === 200 && ASSIGNED.has(a.body.status))
      return { apiMs, flowMs: Date.now() - since, orderId, waitingAtAccept, errors };
    if (a.status !== 200) note(a);
    await sleep(250);
  }
  return {
    apiMs,
    flowMs: null,
    orderId,
    waitingAtAccept,
    errors,
    error: 'the probe order was accepted but never given to a rider',
  };
}
