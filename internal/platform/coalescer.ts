/**
 * The one coalescing queue of the code base: turns many concurrent single calls into few batch calls. A call goes out
 * at once while fewer than `maxInFlight` batches are in flight; otherwise it waits and leaves with every call that
 * arrived meanwhile (up to `maxBatch`), as soon as a batch returns. Idle: one call = a batch of one, no added latency
 * (unless `lingerMs` asks to wait for company). Loaded: one round trip carries many calls — where every syscall and
 * round trip is dear, that is the throughput.
 *
 * Users: Redis GEO pings and live-feed publishes, Kafka sends, telemetry history publishes and writes (via
 * `BatchingWriter`), order placement.
 *
 * `run` gets the items in call order and must answer one result per item, in that order; if it throws, every call
 * of that batch rejects with the error. Batches leave in call order; with `maxInFlight: 1` they also finish in order.
 */
export interface CoalescerOptions<I> {
  /** Batches in flight at once (≥ 1; `Infinity` for no limit). */
  maxInFlight: number;
  /** Most calls per batch — or, with `weigh`, most weight; a single call heavier than that leaves alone. */
  maxBatch: number;
  /** The weight of one call towards `maxBatch` (e.g. the rows it carries). Default 1. */
  weigh?: (item: I) => number;
  /**
   * How long a call may wait for company before its batch leaves although not full. Default 0: at once. A full batch
   * never waits, and neither does a call that has already waited this long for a free slot.
   */
  lingerMs?: number;
}

interface Waiting<I, O> {
  item: I;
  weight: number;
  resolve: (o: O) => void;
  reject: (e: unknown) => void;
}

export class Coalescer<I, O> {
  private queue: Array<Waiting<I, O>> = [];
  private queuedWeight = 0;
  private inFlight = 0;
  private readonly weigh: (item: I) => number;
  private readonly lingerMs: number;
  /** Started by the first call that waits for company; once it fires, what waits leaves at the next free slot. */
  private lingerTimer: NodeJS.Timeout | undefined;
  private lingered = false;
  /** Set by `drain`/`close`: send what waits without lingering. */
  private flushing = 0;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  /** Batches sent, calls and weight carried, heaviest batch — for tests, metrics and benchmarks. */
  readonly stats = { batches: 0, items: 0, weight: 0, maxBatch: 0 };

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly options: CoalescerOptions<I>,
  ) {
    if (!(options.maxInFlight >= 1) || !(options.maxBatch >= 1))
      throw new RangeError('maxInFlight and maxBatch must be ≥ 1');
    this.weigh = options.weigh ?? (() => 1);
    this.lingerMs = options.lingerMs ?? 0;
    if (!(this.lingerMs >= 0)) throw new RangeError('lingerMs must be ≥ 0');
  }

  /** Resolves with `run`'s answer for `item`; rejects at once once `close` was called. */
  call(item: I): Promise<O> {
    if (this.closed) return Promise.reject(new Error('the coalescer is closed'));
    return new Promise<O>((resolve, reject) => {
      const weight = this.weigh(item);
      this.queue.push({ item, weight, resolve, reject });
      this.queuedWeight += weight;
      this.pump();
    });
  }

  /** Sends what waits now (no lingering) and resolves once nothing is queued or in flight. */
  async drain(): Promise<void> {
    this.flushing++;
    try {
      this.pump();
      while (this.queue.length > 0 || this.inFlight > 0) {
        await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      }
    } finally {
      this.flushing--;
    }
  }

  /** Refuses new calls, then sends what waits and resolves once everything has been answered. */
  async close(): Promise<void> {
    this.closed = true;
    await this.drain();
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const full = this.queuedWeight >= this.options.maxBatch;
      const ready = full || this.lingerMs === 0 || this.lingered || this.flushing > 0;
      // The wait for company starts with the first waiting call, whether or not a slot is free.
      if (!ready) {
        this.lingerTimer ??= setTimeout(() => {
          this.lingerTimer = undefined;
          this.lingered = true;
          this.pump();
        }, this.lingerMs);
      }
      if (!ready || this.inFlight >= this.options.maxInFlight) break;
      this.send(this.takeBatch());
    }
    if (this.queue.length === 0) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = undefined;
      this.lingered = false;
      if (this.inFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  /** The next calls in order, up to `maxBatch` weight (at least one call). */
  private takeBatch(): Array<Waiting<I, O>> {
    let weight = 0;
    let count = 0;
    while (count < this.queue.length) {
      const next = this.queue[count]!.weight;
      if (count > 0 && weight + next > this.options.maxBatch) break;
      weight += next;
      count++;
    }
    this.queuedWeight -= weight;
    this.stats.batches++;
    this.stats.items += count;
    this.stats.weight += weight;
    this.stats.maxBatch = Math.max(this.stats.maxBatch, weight);
    return this.queue.splice(0, count);
  }

  private send(batch: Array<Waiting<I, O>>): void {
    this.inFlight++;
    void (async () => {
      try {
        const results = await this.run(batch.map((b) => b.item));
        if (results.length !== batch.length)
          throw new Error(`coalesced batch of ${batch.length} answered ${results.length} results`);
        for (const [i, b] of batch.entries()) b.resolve(results[i]!);
      } catch (error) {
        for (const b of batch) b.reject(error);
      } finally {
        this.inFlight--;
        this.pump();
      }
    })();
  }
}
