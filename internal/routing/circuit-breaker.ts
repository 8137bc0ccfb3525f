/**
 * A consecutive-failure circuit breaker.
 *
 * closed → (failureThreshold failures in a row) → open → (resetTimeoutMs later, on the next call) → half_open:
 * exactly one probe call goes through; its success closes the circuit, its failure opens it again for another
 * resetTimeoutMs. While open — and while the probe is in flight — calls are rejected at once with `CircuitOpenError`,
 * so a dead dependency costs callers nothing but the fallback.
 */
export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. Default 5. */
  failureThreshold?: number;
  /** How long the circuit stays open before a probe is allowed. Default 10 s. */
  resetTimeoutMs?: number;
  /** Clock, injectable for tests. */
  now?: () => number;
}

export type StateChangeListener = (change: { from: CircuitState; to: CircuitState }) => void;

export class CircuitOpenError extends Error {
  override readonly name = 'CircuitOpenError';
  constructor(readonly retryAt: number) {
    super('circuit open');
  }
}

export class CircuitBreaker {
  private readonly failureThreshold: number;
  private readonly resetTimeoutMs: number;
  private readonly now: () => number;
  private readonly listeners: StateChangeListener[] = [];
  private current: CircuitState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private probeInFlight = false;

  constructor(options: CircuitBreakerOptions = {}) {
    this.failureThreshold = options.failureThreshold ?? 5;
    this.resetTimeoutMs = options.resetTimeoutMs ?? 10_000;
    this.now = options.now ?? Date.now;
    if (!Number.isInteger(this.failureThreshold) || this.failureThreshold < 1) {
      throw new RangeError('failureThreshold must be an integer >= 1');
    }
  }

  /** The state as of the last call (an open circuit turns half_open only when a call arrives). */
  get state(): CircuitState {
    return this.current;
  }

  /** Registers a listener called synchronously on every state transition. */
  onStateChange(listener: StateChangeListener): void {
    this.listeners.push(listener);
  }

  /**
   * Runs `fn` through the breaker. `isFailure` decides which errors count against the dependency: an error that is a
   * valid answer (e.g. "no route") proves the dependency healthy and counts as a success.
   */
  async run<T>(fn: () => Promise<T>, isFailure: (err: unknown) => boolean = () => true): Promise<T> {
    this.admit();
    try {
      const value = await fn();
      this.recordSuccess();
      return value;
    } catch (err) {
      if (isFailure(err)) this.recordFailure();
      else this.recordSuccess();
      throw err;
    }
  }

  private admit(): void {
    if (this.current === 'open') {
      const retryAt = this.openedAt + this.resetTimeoutMs;
      if (this.now() < retryAt) throw new CircuitOpenError(retryAt);
      this.transition('half_open');
    }
    if (this.current === 'half_open') {
      if (this.probeInFlight) throw new CircuitOpenError(this.now());
      this.probeInFlight = true;
    }
  }

  private recordSuccess(): void {
    this.probeInFlight = false;
    this.failures = 0;
    if (this.current !== 'closed') this.transition('closed');
  }

  private recordFailure(): void {
    this.probeInFlight = false;
    this.failures += 1;
    if (this.current === 'half_open' || (this.current === 'closed' && this.failures >= this.failureThreshold)) {
      this.openedAt = this.now();
      this.transition('open');
    }
  }

  private transition(to: CircuitState): void {
    const from = this.current;
    this.current = to;
    for (const listener of this.listeners) listener({ from, to });
  }
}
