/**
 * A consecutive-failure circuit breaker: cockatiel's `CircuitBreakerPolicy` with a `ConsecutiveBreaker`, behind the
 * small interface the routing code needs.
 *
 * closed → (failureThreshold failures in a row) → open → (resetTimeoutMs later, on the next call) → half_open:
 * exactly one probe call goes through; its success closes the circuit, its failure opens it again for another
 * resetTimeoutMs. While open — and while the probe is in flight — calls are rejected at once with `CircuitOpenError`,
 * so a dead dependency costs callers nothing but the fallback. (cockatiel alone would make callers wait for the
 * probe; a dead OSRM probe takes its full timeout and retries, so we reject them instead.)
 */
import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  CircuitState as PolicyState,
  ConsecutiveBreaker,
  circuitBreaker,
  handleAll,
  IsolatedCircuitError,
} from 'cockatiel';

export type CircuitState = 'closed' | 'open' | 'half_open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. Default 5. */
  failureThreshold?: number;
  /** How long the circuit stays open before a probe is allowed. Default 10 s. */
  resetTimeoutMs?: number;
}

export type StateChangeListener = (change: { from: CircuitState; to: CircuitState }) => void;

/** The circuit is open (or its probe is in flight): the call was not made. */
export class CircuitOpenError extends Error {
  override readonly name = 'CircuitOpenError';
  constructor(options?: ErrorOptions) {
    super('circuit open', options);
  }
}

function stateOf(state: PolicyState): CircuitState {
  if (state === PolicyState.Closed) return 'closed';
  if (state === PolicyState.HalfOpen) return 'half_open';
  return 'open'; // Open, or Isolated (held open by hand; we never do)
}

/** What a call through the policy gave: a value, or an error that is an answer (it does not count as a failure). */
type Outcome<T> = { value: T } | { answer: unknown };

export class CircuitBreaker {
  private readonly policy: CircuitBreakerPolicy;

  constructor(options: CircuitBreakerOptions = {}) {
    const failureThreshold = options.failureThreshold ?? 5;
    if (!Number.isInteger(failureThreshold) || failureThreshold < 1) {
      throw new RangeError('failureThreshold must be an integer >= 1');
    }
    this.policy = circuitBreaker(handleAll, {
      halfOpenAfter: options.resetTimeoutMs ?? 10_000,
      breaker: new ConsecutiveBreaker(failureThreshold),
    });
  }

  /** The state as of the last call (an open circuit turns half_open only when a call arrives). */
  get state(): CircuitState {
    return stateOf(this.policy.state);
  }

  /** Registers a listener called synchronously on every state transition. */
  onStateChange(listener: StateChangeListener): void {
    let from = this.state;
    this.policy.onStateChange((state) => {
      const to = stateOf(state);
      const change = { from, to };
      from = to;
      listener(change);
    });
  }

  /**
   * Runs `fn` through the breaker. `isFailure` decides which errors count against the dependency: an error that is a
   * valid answer (e.g. "no route") proves the dependency healthy and counts as a success.
   */
  async run<T>(fn: () => Promise<T>, isFailure: (err: unknown) => boolean = () => true): Promise<T> {
    if (this.policy.state === PolicyState.HalfOpen) throw new CircuitOpenError();
    let outcome: Outcome<T>;
    try {
      outcome = await this.policy.execute(async (): Promise<Outcome<T>> => {
        try {
          return { value: await fn() };
        } catch (error) {
          if (isFailure(error)) throw error;
          return { answer: error };
        }
      });
    } catch (error) {
      if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError) {
        throw new CircuitOpenError({ cause: error });
      }
      throw error;
    }
    if ('answer' in outcome) throw outcome.answer;
    return outcome.value;
  }
}
