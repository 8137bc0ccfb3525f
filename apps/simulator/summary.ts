/**
 * The simulator's running tally, its one-line progress report and its final summary. Pure, so the arithmetic is
 * unit-tested.
 *
 * One source per figure: what the live map also shows (orders placed and delivered, the backlog, riders idle and busy,
 * mean click-to-door) comes from the API's `GET /stats/live`, the very figures the map's panel reads, in the API's
 * clock — simulated time under `npm start`, labelled "sim" (wall-clock time, labelled "wall", when the API runs on the
 * system clock). The tally only counts what the API cannot know: the deliberate 409s and the simulator's own errors.
 */

import type { LiveStatsDto } from './api-client.ts';

export interface SimTally {
  ordersPlaced: number;
  ordersFailed: number;
  ordersReady: number;
  /** Orders whose drop a simulated rider confirmed. */
  delivered: number;
  /** 409 `delivery.too_far` answers (the deliberate far confirmations, and any real ones). */
  tooFar409: number;
  batchesPickedUp: number;
  batchesDelivered: number;
  ridersRegistered: number;
  ridersBusy: number;
  pings: number;
  httpErrors: number;
  /** Failures by what failed and how (`location 400 invalid_input`), for the summary. */
  errorKinds: Record<string, number>;
}

export function emptyTally(): SimTally {
  return {
    ordersPlaced: 0,
    ordersFailed: 0,
    ordersReady: 0,
    delivered: 0,
    tooFar409: 0,
    batchesPickedUp: 0,
    batchesDelivered: 0,
    ridersRegistered: 0,
    ridersBusy: 0,
    pings: 0,
    httpErrors: 0,
    errorKinds: {},
  };
}

/** Counts one failed call under `what` and the error's status and slug when it is an API answer. */
export function recordError(tally: SimTally, what: string, error: unknown): void {
  tally.httpErrors += 1;
  const e = error as { status?: number; code?: string; name?: string };
  const kind = [what, e.status ?? e.name ?? 'error', e.code].filter((x) => x !== undefined).join(' ');
  tally.errorKinds[kind] = (tally.errorKinds[kind] ?? 0) + 1;
}

/** `12m05s`, `1h02m`, or `–` for null. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '–';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3_600);
  const m = Math.floor((s % 3_600) / 60);
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  return `${m}m${String(s % 60).padStart(2, '0')}s`;
}

/** `HH:MM` UTC of a virtual instant. */
export function clockTime(virtualMs: number): string {
  return new Date(virtualMs).toISOString().slice(11, 16);
}

/** What the API's clock is, as a unit label: `sim` when it runs sped up, `wall` on the system clock. */
export function timeUnit(stats: Pick<LiveStatsDto, 'timeScale'>): 'sim' | 'wall' {
  return stats.timeScale > 1 ? 'sim' : 'wall';
}

/** The single progress line, rewritten every few seconds: the API's figures (`stats`, null before the first answer). */
export function progressLine(t: SimTally, stats: LiveStatsDto | null, ratePerMin: number, pace = 1): string {
  // A slowed simulated clock says so: the machine could not keep up with the requested speed.
  const head = stats
    ? `[${timeUnit(stats)} ${clockTime(Date.parse(stats.at))}${pace < 0.95 ? ` slowed to ${Math.round(pace * 100)} %` : ''}]`
    : '[sim –]';
  const round1 = (n: number) => Math.round(n * 10) / 10;
  return [
    head,
    `rate ${round1(ratePerMin)}/min`,
    ...(stats
      ? [
          `orders ${stats.orders.placed}`,
          `delivered ${stats.orders.delivered}`,
          `unassigned ${stats.orders.unassigned} (${stats.orders.waitingForRider} ready)`,
          `riders idle ${stats.riders.idle} busy ${stats.riders.busy}`,
          `bundle ${stats.batches.meanSize ?? '–'}`,
          `c2d ${formatDuration(stats.meanClickToDoorS)} ${timeUnit(stats)}`,
        ]
      : []),
    `409s ${t.tooFar409}`,
    ...(t.httpErrors > 0 || t.ordersFailed > 0 ? [`errors ${t.httpErrors + t.ordersFailed}`] : []),
  ].join(' · ');
}

/**
 * The final summary, several lines; `simulatedElapsedMs` is what the simulated clock advanced (less than wall × speed
 * when the machine could not keep up), `stats` the API's last answer to `GET /stats/live` (null if none).
 */
export function summaryText(
  t: SimTally,
  realElapsedMs: number,
  simulatedElapsedMs: number,
  speed: number,
  stats: LiveStatsDto | null,
): string {
  const unit = stats ? timeUnit(stats) : 'sim';
  return [
    'simulation summary',
    `  ran               ${formatDuration(realElapsedMs / 1_000)} wall clock = ${formatDuration(simulatedElapsedMs / 1_000)} simulated (speed ${speed}×)`,
    `  orders placed     ${t.ordersPlaced} by this run${t.ordersFailed ? ` (${t.ordersFailed} failed)` : ''}`,
    `  orders ready      ${t.ordersReady}`,
    `  delivered         ${t.delivered} by this run's riders`,
    ...(stats
      ? [
          `  API today (${unit}) ${stats.orders.placed} placed, ${stats.orders.delivered} delivered, ${stats.orders.unassigned} unassigned`,
          `  mean click-to-door ${formatDuration(stats.meanClickToDoorS)} (${unit === 'sim' ? 'simulated' : 'wall clock'}, GET /stats/live)`,
          `  mean bundle       ${stats.batches.meanSize ?? '–'} orders`,
        ]
      : []),
    `  batches           ${t.batchesPickedUp} picked up, ${t.batchesDelivered} delivered`,
    `  409 too far       ${t.tooFar409}`,
    `  riders            ${t.ridersRegistered} (${t.pings} GPS fixes posted)`,
    `  http errors       ${t.httpErrors}`,
    ...Object.entries(t.errorKinds)
      .sort((a, b) => b[1] - a[1])
      .map(([kind, n]) => `    ${String(n).padStart(5)} × ${kind}`),
  ].join('\n');
}
