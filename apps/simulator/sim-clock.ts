import type { Clock } from '../../internal/platform/clock.ts';

/**
 * The simulated clock of a simulation run: time runs `speed`× faster than the wall clock — but never faster than the
 * process can follow. It advances in ticks (every `tickMs` of wall time):
 * - a tick that comes late because the event loop was blocked counts at most `maxStepMs` of wall time;
 * - while the event loop is saturated (its utilisation over the last `paceWindowMs` above `busyFrom`: the API, the
 *   worker and embedded Postgres share it, and other processes share the CPU), wall time counts proportionally less,
 *   down to `minPace` — the simulated city slows down until the process has headroom again.
 * So on a busy machine simulated time slows instead of running away from the API, the worker and the simulated
 * riders (which then could not keep up, and every figure would measure the machine instead of the city). Every load
 * the simulator generates is paced on this clock too (riding, polling, ordering), so slowing it relieves the process.
 * `lostWallMs` says how much wall time was dropped, `pace` the current share.
 *
 * `npm start` runs the API, the worker and the simulator on one instance (apps/all/demo-city.ts), so all of them live
 * in the same simulated time. Simulator waits that stand for simulated durations (riding, cooking, the next order)
 * sleep on it with `sleep`.
 */

export interface SimClockOptions {
  /** Simulated epoch ms at the start. */
  startMs: number;
  /** Simulated ms per wall ms. */
  speed: number;
  /** Wall ms between ticks (default 20). */
  tickMs?: number;
  /** Most wall ms one tick may count (default 100): the cap that drops stalls. */
  maxStepMs?: number;
  /** Wall clock in ms (default `performance.now`); injected by tests. */
  wallNow?: () => number;
  /** Whether to tick on a timer (default true); tests call `tick()` themselves. */
  autoTick?: boolean;
  /** Event-loop utilisation in [0, 1] since the previous call (default: node's `performance.eventLoopUtilization`). */
  utilisation?: () => number;
  /** Utilisation from which the clock slows (default 0.7) … */
  busyFrom?: number;
  /** … to `minPace` at this utilisation (default 0.97). */
  saturatedAt?: number;
  minPace?: number;
  /** Wall ms over which utilisation is measured (default 500). */
  paceWindowMs?: number;
}

/** Share of wall time the clock counts at event-loop utilisation `u`: 1 up to `busyFrom`, linear down to `minPace`. */
export function paceAt(u: number, busyFrom = 0.7, saturatedAt = 0.97, minPace = 0.1): number {
  if (!(u > busyFrom)) return 1;
  return Math.max(minPace, 1 - ((1 - minPace) * (u - busyFrom)) / (saturatedAt - busyFrom));
}

function eventLoopUtilisation(): () => number {
  let last = performance.eventLoopUtilization();
  return () => {
    const now = performance.eventLoopUtilization();
    const delta = performance.eventLoopUtilization(now, last);
    last = now;
    return delta.utilization;
  };
}

interface Waiter {
  at: number;
  resolve: () => void;
}

export class SimClock implements Clock {
  readonly speed: number;
  private readonly maxStepMs: number;
  private readonly wallNow: () => number;
  private committed: number;
  private lastWall: number;
  private lost = 0;
  private currentPace = 1;
  /** Smoothed utilisation (half old, half new per window), so one busy window does not jerk the clock. */
  private smoothed = 0;
  private lastPaceWall: number;
  private readonly utilisation: (() => number) | undefined;
  private readonly paceOf: (u: number) => number;
  private readonly paceWindowMs: number;
  private waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(options: SimClockOptions) {
    if (!(options.speed > 0) || !Number.isFinite(options.speed)) throw new RangeError('speed must be positive');
    this.speed = options.speed;
    this.maxStepMs = options.maxStepMs ?? 100;
    this.wallNow = options.wallNow ?? (() => performance.now());
    this.committed = options.startMs;
    this.lastWall = this.wallNow();
    this.lastPaceWall = this.lastWall;
    const autoTick = options.autoTick ?? true;
    this.utilisation = options.utilisation ?? (autoTick ? eventLoopUtilisation() : undefined);
    this.paceOf = (u) => paceAt(u, options.busyFrom, options.saturatedAt, options.minPace);
    this.paceWindowMs = options.paceWindowMs ?? 500;
    if (autoTick) {
      this.timer = setInterval(() => this.tick(), options.tickMs ?? 20);
      this.timer.unref(); // the clock alone never keeps a process alive
    }
  }

  /** Simulated epoch ms now: the last tick plus the wall time since (capped like a tick), so it never goes backwards. */
  now(): number {
    return (
      this.committed +
      Math.min(Math.max(0, this.wallNow() - this.lastWall), this.maxStepMs) * this.speed * this.currentPace
    );
  }

  /** Share of wall time the clock counts now (1 = full speed; less while the process is saturated). */
  get pace(): number {
    return this.currentPace;
  }

  /** Wall ms dropped because ticks came late (the machine could not keep up). */
  get lostWallMs(): number {
    return this.lost;
  }

  /** Advances the clock by the wall time since the last tick (at most `maxStepMs`) and wakes the sleepers due. */
  tick(): void {
    const wall = this.wallNow();
    const elapsed = Math.max(0, wall - this.lastWall);
    const counted = Math.min(elapsed, this.maxStepMs) * this.currentPace;
    this.lost += elapsed - counted;
    this.committed += counted * this.speed;
    this.lastWall = wall;
    if (this.utilisation && wall - this.lastPaceWall >= this.paceWindowMs) {
      this.lastPaceWall = wall;
      this.smoothed = (this.smoothed + this.utilisation()) / 2;
      this.currentPace = this.paceOf(this.smoothed);
    }
    if (this.waiters.length === 0) return;
    const due = this.waiters.filter((w) => w.at <= this.committed);
    if (due.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.at > this.committed);
    for (const w of due) w.resolve();
  }

  /** Resolves once `simulatedMs` of simulated time have passed, or at once when `signal` aborts. */
  sleep(simulatedMs: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted || !(simulatedMs > 0)) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter: Waiter = {
        at: this.now() + simulatedMs,
        resolve: () => {
          signal?.removeEventListener('abort', abort);
          resolve();
        },
      };
      const abort = () => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve();
      };
      signal?.addEventListener('abort', abort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Stops ticking; pending sleeps resolve. Idempotent. */
  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    const pending = this.waiters;
    this.waiters = [];
    for (const w of pending) w.resolve();
  }
}
