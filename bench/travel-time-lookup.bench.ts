/**
 * CPU cost of one travel-time lookup in a dispatch round (internal/pipeline/router-travel-time.ts), the worker's
 * hottest function in a profile of `bench/dispatch.bench.ts` with the worker running. The shape is a busy scope:
 * STORES stores, each with its drops (one Router table per store), and RIDERS riders → the stores; the lookups are the
 * pairs the dispatch core asks for (store → drop, drop → drop within a store). Pure CPU, no I/O.
 *
 * `--against DIR` also measures DIR's router-travel-time.ts (another checkout) and alternates the two, three runs each
 * (A, B, A, B, A, B), printing the median ns per lookup and the ratio.
 *
 * Run: flock /work/notes/bench.lock npx tsx bench/travel-time-lookup.bench.ts [--against /path/to/old/checkout]
 */
import { loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import type { GeoPoint } from '../internal/dispatch/types.ts';
import { StraightLineRouter } from '../internal/routing/straight-line-router.ts';
import { fetchTravelTimes } from '../internal/pipeline/router-travel-time.ts';

const STORES = 20;
const DROPS_PER_STORE = 60;
const RIDERS = 100;
const LOOKUPS = 2_000_000;
const RUNS = 3;

type Fetch = typeof fetchTravelTimes;

const argValue = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};

/** Deterministic points around Berlin (no Math.random: the same scope for every run). */
function scope(): { groups: GeoPoint[][]; riders: GeoPoint[]; stores: GeoPoint[] } {
  let seed = 42;
  const next = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const point = (lat: number, lon: number, spread: number) => ({
    lat: lat + (next() - 0.5) * spread,
    lon: lon + (next() - 0.5) * spread,
  });
  const stores = Array.from({ length: STORES }, () => point(52.52, 13.405, 0.2));
  const groups = stores.map((s) => [s, ...Array.from({ length: DROPS_PER_STORE }, () => point(s.lat, s.lon, 0.03))]);
  const riders = Array.from({ length: RIDERS }, () => point(52.52, 13.405, 0.2));
  return { groups, riders, stores };
}

/** Nanoseconds per lookup of `fetch`'s TravelTime over the scope. */
async function measure(fetch: Fetch): Promise<number> {
  const { groups, riders, stores } = scope();
  const travel = await fetch(new StraightLineRouter(), groups, { from: riders, to: stores });
  let sink = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < LOOKUPS; i++) {
    const group = groups[i % STORES]!;
    const a = group[i % 7 === 0 ? 0 : 1 + ((i * 13) % DROPS_PER_STORE)]!;
    const b = group[1 + ((i * 31) % DROPS_PER_STORE)]!;
    sink += travel.durationSeconds(a, b);
  }
  const ns = Number(process.hrtime.bigint() - started) / LOOKUPS;
  if (!Number.isFinite(sink)) throw new Error('unroutable pair in the scope');
  return ns;
}

const median = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor((v.length - 1) / 2)]!;

const against = argValue('--against');
const other: Fetch | undefined = against
  ? (
      (await import(pathToFileURL(`${against}/internal/pipeline/router-travel-time.ts`).href)) as {
        fetchTravelTimes: Fetch;
      }
    ).fetchTravelTimes
  : undefined;
const mine: number[] = [];
const theirs: number[] = [];
for (let run = 0; run < RUNS; run++) {
  if (other) {
    const load = loadavg()[0]!.toFixed(2);
    theirs.push(await measure(other));
    console.log(`run ${run + 1}, ${against}: ${theirs.at(-1)!.toFixed(1)} ns/lookup (load ${load} before)`);
  }
  const load = loadavg()[0]!.toFixed(2);
  mine.push(await measure(fetchTravelTimes));
  console.log(`run ${run + 1}, this checkout: ${mine.at(-1)!.toFixed(1)} ns/lookup (load ${load} before)`);
}
console.log(
  `median of ${RUNS}: this checkout ${median(mine).toFixed(1)} ns/lookup (${Math.min(...mine).toFixed(1)}–${Math.max(...mine).toFixed(1)})` +
    (other
      ? `; ${against} ${median(theirs).toFixed(1)} ns/lookup (${Math.min(...theirs).toFixed(1)}–${Math.max(...theirs).toFixed(1)}); ratio ${(median(theirs) / median(mine)).toFixed(1)}×`
      : ''),
);
