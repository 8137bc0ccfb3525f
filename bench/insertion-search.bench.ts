/**
 * CPU cost of the batching decision (`bestInsertion`, internal/dispatch/batching.ts) as the worker meets it in
 * `bench/dispatch.bench.ts`: one store receives a stream of orders (drops 600–2,100 m east and ±1 km north of it,
 * 20 min prep, promised 30 min after ready: the bench's order bodies) placed one after another, each joining the open
 * batch where it adds the least detour or opening one — as `placeOrder` does. Batches stay open (the bench's orders
 * never become ready and the wait window is 10 min), so the open batches a decision searches grow with the stream,
 * as they do in the worker during the bench. Travel times are a Router table (straight-line router) as in a round.
 *
 * `--against DIR` also measures DIR's batching.ts and router-travel-time.ts (another checkout) and alternates the two, three runs each
 * (A, B, A, B, A, B), printing the median µs per decision and the ratio. Both must decide the same: the bench checks
 * that every run ends with the same batches.
 *
 * Run: npx tsx bench/insertion-search.bench.ts [--orders N] [--against /path/to/old/checkout]
 */
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { resolveDispatchParams } from '../internal/dispatch/params.ts';
import type { Batch, GeoPoint, Order, Store } from '../internal/dispatch/types.ts';
import { fetchTravelTimes } from '../internal/pipeline/router-travel-time.ts';
import { StraightLineRouter } from '../internal/routing/straight-line-router.ts';
import * as batching from '../internal/dispatch/batching.ts';

type Batching = Pick<typeof batching, 'bestInsertion' | 'evaluateSequence'> & {
  fetchTravelTimes: typeof fetchTravelTimes;
};

const RUNS = 3;
const argValue = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const ORDERS = Number(argValue('--orders') ?? 1_800);
const MIN = 60_000;
const T0 = Date.UTC(2026, 11, 3, 12);

const store: Store = { id: 's1', location: { lat: 52.52, lon: 13.405 } };
/** `offset` of the dispatch bench: metres east and north of a point. */
const offset = (p: GeoPoint, east: number, north: number): GeoPoint => ({
  lat: p.lat + north / 111_320,
  lon: p.lon + east / (111_320 * Math.cos((p.lat * Math.PI) / 180)),
});

/** The bench's order stream for one store (its i-th body's drop), one order every 20 ms (1,000/s over 20 stores). */
function orders(): Order[] {
  return Array.from({ length: ORDERS }, (_, k) => {
    const i = k * 20 + 3; // this store's bodies in the bench's round-robin over 20 stores
    const placedAt = T0 + k * 20;
    const readyAt = placedAt + 20 * MIN;
    return {
      id: `o${k}`,
      storeId: store.id,
      drop: offset(store.location, 600 + ((i * 37) % 1_500), ((i * 53) % 2_000) - 1_000),
      placedAt,
      readyAt,
      promisedAt: readyAt + 30 * MIN,
    };
  });
}

const params = resolveDispatchParams({});

/** Places the stream; answers µs per decision and a digest of the batches it built. */
async function measure(impl: Batching): Promise<{ us: number; digest: string; open: number }> {
  const stream = orders();
  const travel = await impl.fetchTravelTimes(
    new StraightLineRouter(),
    [[store.location, ...stream.map((o) => o.drop)]],
    {
      from: [],
      to: [],
    },
  );
  const batches: Batch[] = [];
  const started = process.hrtime.bigint();
  for (const order of stream) {
    const quote = impl.bestInsertion(batches, order, store, travel, params);
    if (quote) {
      quote.batch.orders = [...quote.sequence];
      quote.batch.readyAt = quote.evaluation.readyAt;
      quote.batch.latestDepartureAt = quote.evaluation.latestDepartureAt;
      quote.batch.estimatedCostSeconds += quote.detourSeconds;
      if (quote.batch.orders.length >= params.batchCapacity) quote.batch.status = 'sealed';
      continue;
    }
    const evaluation = impl.evaluateSequence(store, [order], travel, params);
    batches.push({
      id: `b${batches.length}`,
      storeId: store.id,
      pathId: 'p1',
      orders: [order],
      openedAt: order.placedAt,
      status: 'open',
      estimatedCostSeconds: evaluation.routeSeconds,
      latestDepartureAt: evaluation.latestDepartureAt,
      readyAt: evaluation.readyAt,
    });
  }
  const us = Number(process.hrtime.bigint() - started) / 1_000 / stream.length;
  const digest = batches.map((b) => b.orders.map((o) => o.id).join(',')).join(';');
  return { us, digest, open: batches.filter((b) => b.status === 'open').length };
}

const median = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor((v.length - 1) / 2)]!;

const against = argValue('--against');
const importFrom = async (dir: string): Promise<Batching> => ({
  ...((await import(pathToFileURL(`${dir}/internal/dispatch/batching.ts`).href)) as typeof batching),
  ...((await import(pathToFileURL(`${dir}/internal/pipeline/router-travel-time.ts`).href)) as {
    fetchTravelTimes: typeof fetchTravelTimes;
  }),
});
const other = against ? await importFrom(against) : undefined;
const own: Batching = { ...batching, fetchTravelTimes };
const mine: number[] = [];
const theirs: number[] = [];
let digest: string | undefined;
const same = (d: string) => {
  digest ??= d;
  if (d !== digest) throw new Error('the two searches built different batches');
};
for (let run = 0; run < RUNS; run++) {
  if (other) {
    const load = loadavg()[0]!.toFixed(2);
    const r = await measure(other);
    same(r.digest);
    theirs.push(r.us);
    console.log(`run ${run + 1}, ${against}: ${r.us.toFixed(1)} µs/decision (load ${load} before)`);
  }
  const load = loadavg()[0]!.toFixed(2);
  const r = await measure(own);
  same(r.digest);
  mine.push(r.us);
  console.log(
    `run ${run + 1}, this checkout: ${r.us.toFixed(1)} µs/decision, ${r.open} batches open at the end (load ${load} before)`,
  );
}
console.log(
  `${ORDERS} orders, median of ${RUNS}: this checkout ${median(mine).toFixed(1)} µs/decision (${Math.min(...mine).toFixed(1)}–${Math.max(...mine).toFixed(1)})` +
    (other
      ? `; ${against} ${median(theirs).toFixed(1)} µs (${Math.min(...theirs).toFixed(1)}–${Math.max(...theirs).toFixed(1)}); ratio ${(median(theirs) / median(mine)).toFixed(2)}×; same batches`
      : ''),
);
