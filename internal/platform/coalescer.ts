/**
 * Turns many concurrent single calls into few batch calls, without a linger delay: a call goes out at once while
 * fewer than `maxInFlight` batches are in flight; otherwise it waits and leaves with every call that arrived
 * meanwhile (at most `maxBatch`), as soon as a batch returns. Idle: one call = a batch of one, no added latency.
 * Loaded: one round trip carries many calls — where every syscall and round trip is dear, that is the throughput.
 *
 * `run` gets the items in call order and must answer one result per item, in that order; if it throws, every call
 * of that batch rejects with the error.
 */
export class Coalescer<I, O> {
  private queue: Array<{ item: I; resolve: (o: O) => void; reject: (e: unknown) => void }> = [];
  private inFlight = 0;
  /** Batches sent and items carried, for tests and benchmarks. */
  readonly stats = { batches: 0, items: 0, maxBatch: 0 };

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly options: { maxInFlight: number; maxBatch: number },
  ) {
    if (!(options.maxInFlight >= 1) || !(options.maxBatch >= 1)) throw new RangeError('maxInFlight and maxBatch must be ≥ 1');
  }

  /** Resolves with `run`'s answer for `item`. */
  call(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.options.maxBatch);
      this.inFlight++;
      this.stats.batches++;
      this.stats.items += batch.length;
      this.stats.maxBatch = Math.max(this.stats.maxBatch, batch.length);
      void this.send(batch);
    }
  }

  private async send(batch: Array<{ item: I; resolve: (o: O) => void; reject: (e: unknown) => void }>): Promise<void> {
    try {
      const results = await this.run(batch.map((b) => b.item));
      if (results.length !== batch.length) throw new Error(`coalesced batch of ${batch.length} answered ${results.length} results`);
      for (const [i, b] of batch.entries()) b.resolve(results[i]!);
    } catch (error) {
      for (const b of batch) b.reject(error);
    } finally {
      this.inFlight--;
      this.pump();
    }
  }
}
