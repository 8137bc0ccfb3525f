import type { Clock } from '../../internal/platform/clock.ts';

/**
 * The simulated clock of a simulation run: time runs `speed`× faster than the wall clock — but never faster than the
 * process can follow. It advances in ticks (every `tickMs` of wall time); a tick that comes late because the event loop
 * was busy or the machine starved the process counts at most `maxStepMs` of wall time, the rest is dropped. So on a
 * busy machine simulated time slows down instead of running away from the API, the worker and the simulated riders
 * (which then could not keep up, and every figure would measure the machine instead of the city). `lostWallMs` says
 * how much wall time was dropped.
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
  private waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(options: SimClockOptions) {
    if (!(options.speed > 0) || !Number.isFinite(options.speed)) throw new RangeError('speed must be positive');
    this.speed = options.speed;
    this.maxStepMs = options.maxStepMs ?? 100;
    this.wallNow = options.wallNow ?? (() => performance.now());
    this.committed = options.startMs;
    this.lastWall = this.wallNow();
    if (options.autoTick ?? true) {
      this.timer = setInterval(() => this.tick(), options.tickMs ?? 20);
      this.timer.unref(); // the clock alone never keeps a process alive
    }
  }

  /** Simulated epoch ms now: the last tick plus the wall time since (capped like a tick), so it never goes backwards. */
  now(): number {
    return this.committed + Math.min(Math.max(0, this.wallNow() - this.lastWall), this.maxStepMs) * this.speed;
  }

  /** Wall ms dropped because ticks came late (the machine could not keep up). */
  get lostWallMs(): number {
    return this.lost;
  }

  /** Advances the clock by the wall time since the last tick (at most `maxStepMs`) and wakes the sleepers due. */
  tick(): void {
    const wall = this.wallNow();
    const elapsed = Math.max(0, wall - this.lastWall);
    const counted = Math.min(elapsed, this.maxStepMs);
    this.lost += elapsed - counted;
    this.committed += counted * this.speed;
    this.lastWall = wall;
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
