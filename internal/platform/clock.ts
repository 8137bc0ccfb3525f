/**
 * Time as a port, so dispatch decisions run the same under a wall clock, in tests and in virtual-time replays.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /**
   * Clock milliseconds per wall-clock millisecond when the clock runs sped up (the `npm start` demo city runs on a
   * simulated clock); absent = 1. Lets a reader of timestamps say which time they are in.
   */
  readonly speed?: number;
}

/** How many clock seconds pass per wall-clock second (1 for the system clock). */
export function clockSpeed(clock: Clock): number {
  return clock.speed ?? 1;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to. */
export class ManualClock implements Clock {
  constructor(private current = 0) {}
  now(): number {
    return this.current;
  }
  set(ms: number): void {
    this.current = ms;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}
