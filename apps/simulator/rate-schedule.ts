/**
 * When the simulated customers order. Time runs `speed` times faster than the wall clock ("virtual time", see
 * sim-clock.ts), so an evening rush can be played in minutes; every rate and wait here is in *virtual* time.
 *
 * - `steady`: `rate` orders per virtual minute all day.
 * - `delivery_rush`: `rate` outside the rush and `RUSH_FACTOR` × `rate` from 18:00 to 20:00 virtual time (UTC hours
 *   of the virtual clock, so a run is reproducible whatever the machine's time zone).
 */

export type SimulationMode = 'steady' | 'delivery_rush';

export const RUSH_START_HOUR = 18;
export const RUSH_END_HOUR = 20;
export const RUSH_FACTOR = 3;

/** Whether `virtualMs` falls in the evening rush [18:00, 20:00) UTC. */
export function inRush(virtualMs: number): boolean {
  const hour = new Date(virtualMs).getUTCHours();
  return hour >= RUSH_START_HOUR && hour < RUSH_END_HOUR;
}

/** Orders per virtual minute at virtual time `virtualMs`. */
export function ordersPerMinute(mode: SimulationMode, baseRate: number, virtualMs: number): number {
  if (mode === 'delivery_rush' && inRush(virtualMs)) return baseRate * RUSH_FACTOR;
  return baseRate;
}

/**
 * The simulated wait until the next order: exponential inter-arrival times (a Poisson process) at the rate in force
 * at `virtualNowMs`. `uniform` is a draw from [0, 1) (injected, so tests are deterministic); the rate is re-read at
 * each arrival, which is close enough when a rate holds for many arrivals.
 */
export function nextArrivalGapMs(
  mode: SimulationMode,
  baseRate: number,
  virtualNowMs: number,
  uniform: number,
): number {
  const perVirtualMinute = ordersPerMinute(mode, baseRate, virtualNowMs);
  if (!(perVirtualMinute > 0)) return Number.POSITIVE_INFINITY;
  return (-Math.log(1 - Math.min(Math.max(uniform, 0), 0.999_999_999)) * 60_000) / perVirtualMinute;
}

/**
 * Default virtual start: now for `steady`; for `delivery_rush`, 17:45 UTC of today so the rush starts a quarter of a
 * virtual hour into the run.
 */
export function defaultVirtualStart(mode: SimulationMode, realNowMs: number): number {
  if (mode === 'steady') return realNowMs;
  const d = new Date(realNowMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), RUSH_START_HOUR - 1, 45);
}
