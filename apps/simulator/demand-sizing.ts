import { pathLengthM, type Point } from './geo-math.ts';
import { pick, type Random } from './random.ts';
import { sampleDrop, type DropRadius } from './order-generator.ts';

/**
 * How many orders a fleet can carry, so the demo city's default demand is sized to its riders instead of a magic
 * number: too little and the riders stand idle, too much and the backlog grows without end (issue 12: at 8 orders per
 * simulated minute for 20 riders the city never had an idle rider after 30 s and ~1,800 orders waited after 12 min).
 *
 * A rider carrying a bundle of `b` orders (one store) is busy for
 *
 *     T(b) = (reposition + store→first drop + (b − 1) × drop→drop) / speed + overhead(b)
 *
 * where the three distances are means over the city's own geometry (its stores and the order generator's drop
 * distribution, sampled with a seeded generator), `reposition` is the ride of the rider the dispatcher sends to the
 * next bundle's store — the nearest of the `max(1, round((1 − u) × N))` idle riders, each standing where it finished
 * (a drop of a random store) — and `overhead` is what the simulated rider spends besides riding (noticing the
 * assignment by polling, half a GPS step per leg; simulated riders have no service time at the door). `N` riders at
 * utilisation `u` then carry
 *
 *     rate = u × N × b / T(b)   orders per simulated minute.
 *
 * Distances are straight lines times `detourFactor`: 1 when the simulated riders ride straight lines, the city's measured
 * road ÷ straight ratio when they follow its streets (`measureDetour`). Drop→drop is the mean over two
 * random drops of one store, an upper bound (bundle-mates share a corridor), so the real utilisation lands at or a
 * little below the target.
 */

export interface DemandSizingInput {
  riders: number;
  stores: readonly Point[];
  dropRadiusM: DropRadius;
  /** Rider speed, simulated metres per second. */
  riderSpeedMps: number;
  /** Simulated seconds a rider spends per bundle besides riding and besides its drops (e.g. noticing the assignment). */
  overheadPerBundleS: number;
  /** Simulated seconds lost per leg (store or drop) besides riding, e.g. the GPS step granularity. */
  overheadPerLegS: number;
  /** Mean orders per bundle the dispatcher forms at this load. */
  bundleSize: number;
  /** Share of the fleet's time the demand should keep busy, in (0, 1]. */
  targetUtilisation: number;
  random: Random;
  /** Monte-Carlo samples per mean (default 4,000: the means are then within ~1 %). */
  samples?: number;
  /** Ridden metres per straight-line metre (default 1: riders ride straight lines). */
  detourFactor?: number;
}

export interface DemandSizing {
  /** Orders per simulated minute at the base rate. */
  ordersPerMinute: number;
  /** Simulated minutes a rider is busy per bundle, T(b). */
  bundleMinutes: number;
  bundleSize: number;
  targetUtilisation: number;
  /** The mean distances, metres. */
  meanRepositionM: number;
  meanStoreToDropM: number;
  meanDropToDropM: number;
  /** Ridden metres per straight-line metre the sizing assumed. */
  detourFactor: number;
}

/**
 * Orders per simulated minute that keep `targetUtilisation` of the fleet busy (formula above). 0 riders or 0 stores
 * size to 0.
 */
export function sizeDemand(input: DemandSizingInput): DemandSizing {
  const { stores, random, bundleSize, targetUtilisation } = input;
  if (!(bundleSize >= 1)) throw new RangeError('bundleSize must be at least 1');
  if (!(targetUtilisation > 0 && targetUtilisation <= 1)) throw new RangeError('targetUtilisation must be in (0, 1]');
  if (!(input.riderSpeedMps > 0)) throw new RangeError('riderSpeedMps must be positive');
  const samples = input.samples ?? 4_000;
  // Idle riders at the target utilisation: the dispatcher picks the nearest of them.
  const idle = Math.max(1, Math.round((1 - targetUtilisation) * input.riders));
  let reposition = 0;
  let out = 0;
  let between = 0;
  if (stores.length > 0) {
    for (let i = 0; i < samples; i++) {
      const next = pick(random, stores);
      let nearest = Number.POSITIVE_INFINITY;
      for (let r = 0; r < idle; r++)
        nearest = Math.min(nearest, distanceM(sampleDrop(pick(random, stores), input.dropRadiusM, random), next));
      reposition += nearest;
      const first = sampleDrop(next, input.dropRadiusM, random);
      out += distanceM(next, first);
      between += distanceM(first, sampleDrop(next, input.dropRadiusM, random));
    }
  }
  const meanRepositionM = stores.length ? reposition / samples : 0;
  const meanStoreToDropM = stores.length ? out / samples : 0;
  const meanDropToDropM = stores.length ? between / samples : 0;
  const detour = input.detourFactor ?? 1;
  if (!(detour >= 1)) throw new RangeError('detourFactor must be at least 1');
  const rideS =
    (detour * (meanRepositionM + meanStoreToDropM + (bundleSize - 1) * meanDropToDropM)) / input.riderSpeedMps;
  // Legs: to the store, then one per drop.
  const bundleS = rideS + input.overheadPerBundleS + (1 + bundleSize) * input.overheadPerLegS;
  const bundleMinutes = bundleS / 60;
  const ordersPerMinute =
    stores.length === 0 || input.riders === 0 ? 0 : (targetUtilisation * input.riders * bundleSize) / bundleMinutes;
  return {
    ordersPerMinute,
    bundleMinutes,
    bundleSize,
    targetUtilisation,
    meanRepositionM,
    meanStoreToDropM,
    meanDropToDropM,
    detourFactor: detour,
  };
}

/**
 * The mean ratio of ridden (road) to straight-line metres over `samples` store → drop legs of this city, measured with
 * `roadDistanceM` (the router riders navigate with); legs it cannot answer (a drop off the network) are skipped. 1 when
 * none could be measured.
 */
export async function measureDetour(
  stores: readonly Point[],
  dropRadiusM: DropRadius,
  random: Random,
  roadDistanceM: (a: Point, b: Point) => Promise<number>,
  placeDrop: (sample: () => Point) => Promise<Point> = async (sample) => sample(),
  samples = 60,
): Promise<number> {
  let road = 0;
  let straight = 0;
  for (let i = 0; i < samples && stores.length > 0; i++) {
    const store = pick(random, stores);
    const drop = await placeDrop(() => sampleDrop(store, dropRadiusM, random));
    try {
      const m = await roadDistanceM(store, drop);
      road += m;
      straight += distanceM(store, drop);
    } catch {
      // off the network or no route: such an order is refused, it does not load the fleet
    }
  }
  return straight > 0 ? Math.max(1, road / straight) : 1;
}

/** `2.4/min (75 % of 20 riders; 13.1 min per bundle of 1.5)`, for the console. */
export function describeSizing(s: DemandSizing, riders: number): string {
  return `${round1(s.ordersPerMinute)}/min sized for ${Math.round(s.targetUtilisation * 100)} % of ${riders} riders (${round1(s.bundleMinutes)} min per bundle of ${s.bundleSize})`;
}

/** Straight-line metres between two points. */
const distanceM = (a: Point, b: Point) => pathLengthM([a, b]);
const round1 = (n: number) => Math.round(n * 10) / 10;
