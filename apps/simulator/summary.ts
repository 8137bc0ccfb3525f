/**
 * The simulator's running tally, its one-line progress report and its final summary. Pure, so the arithmetic is
 * unit-tested: click-to-door is measured from the moment the order was placed to the moment its drop was confirmed,
 * in virtual time (wall-clock duration × speed), as the simulated customer experiences it.
 */

export interface SimTally {
  ordersPlaced: number;
  ordersFailed: number;
  ordersReady: number;
  /** Orders whose drop a simulated rider confirmed. */
  delivered: number;
  /** Deliveries of orders this run placed (their placement time is known), the base of the mean click-to-door. */
  timedDeliveries: number;
  /** Sum of the timed deliveries' click-to-door times, virtual seconds. */
  clickToDoorSumS: number;
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
    timedDeliveries: 0,
    clickToDoorSumS: 0,
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

/** Records one delivery: `placedRealMs` → `deliveredRealMs` on the wall clock, scaled by `speed` into virtual time. */
export function recordDelivery(tally: SimTally, placedRealMs: number, deliveredRealMs: number, speed: number): void {
  tally.delivered += 1;
  tally.timedDeliveries += 1;
  tally.clickToDoorSumS += (Math.max(0, deliveredRealMs - placedRealMs) * speed) / 1_000;
}

/** Counts one failed call under `what` and the error's status and slug when it is an API answer. */
export function recordError(tally: SimTally, what: string, error: unknown): void {
  tally.httpErrors += 1;
  const e = error as { status?: number; code?: string; name?: string };
  const kind = [what, e.status ?? e.name ?? 'error', e.code].filter((x) => x !== undefined).join(' ');
  tally.errorKinds[kind] = (tally.errorKinds[kind] ?? 0) + 1;
}

/** Mean virtual click-to-door in seconds over the timed deliveries, or null before the first. */
export function meanClickToDoorS(tally: SimTally): number | null {
  return tally.timedDeliveries === 0 ? null : tally.clickToDoorSumS / tally.timedDeliveries;
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

/** The single progress line, rewritten every few seconds. */
export function progressLine(t: SimTally, virtualMs: number, ratePerMin: number): string {
  return [
    `[sim ${clockTime(virtualMs)}]`,
    `rate ${ratePerMin}/min`,
    `orders ${t.ordersPlaced}`,
    `ready ${t.ordersReady}`,
    `delivered ${t.delivered}`,
    `riders busy ${t.ridersBusy}/${t.ridersRegistered}`,
    `c2d ${formatDuration(meanClickToDoorS(t))}`,
    `409s ${t.tooFar409}`,
    ...(t.httpErrors > 0 || t.ordersFailed > 0 ? [`errors ${t.httpErrors + t.ordersFailed}`] : []),
  ].join(' · ');
}

/** The final summary, several lines. */
export function summaryText(t: SimTally, realElapsedMs: number, speed: number): string {
  const virtualMin = (realElapsedMs * speed) / 60_000;
  return [
    'simulation summary',
    `  ran               ${formatDuration(realElapsedMs / 1_000)} wall clock = ${formatDuration(virtualMin * 60)} virtual (speed ${speed}×)`,
    `  orders placed     ${t.ordersPlaced}${t.ordersFailed ? ` (${t.ordersFailed} failed)` : ''}`,
    `  orders ready      ${t.ordersReady}`,
    `  delivered         ${t.delivered}`,
    `  mean click-to-door ${formatDuration(meanClickToDoorS(t))} (virtual)`,
    `  batches           ${t.batchesPickedUp} picked up, ${t.batchesDelivered} delivered`,
    `  409 too far       ${t.tooFar409}`,
    `  riders            ${t.ridersRegistered} (${t.pings} GPS fixes posted)`,
    `  http errors       ${t.httpErrors}`,
    ...Object.entries(t.errorKinds)
      .sort((a, b) => b[1] - a[1])
      .map(([kind, n]) => `    ${String(n).padStart(5)} × ${kind}`),
  ].join('\n');
}
