export interface BatchingWriterOptions {
  /** Flush as soon as this many rows wait. Default 5 000. */
  maxRows?: number;
  /** Longest a row waits for company before it is flushed. Default 5 ms. */
  lingerMs?: number;
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Collects rows from many concurrent callers and writes them in one call; `add()` resolves only once the batch that
 * holds its rows was written (or rejects with the write's error), so a consumer that acknowledges after `add()`
 * acknowledges only what is durable.
 *
 * One write at a time: rows added while a write is in flight form the next batch, which is written as soon as the
 * current one ends (they have waited long enough). An idle writer waits at most `lingerMs` for company — or not at all
 * once `maxRows` rows wait. A batch bigger than `maxRows` (one huge `add`) is written as is.
 */
export class BatchingWriter<R> {
  private readonly maxRows: number;
  private readonly lingerMs: number;
  private rows: R[] = [];
  private waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private closed = false;
  /** Sizes of the batches written so far (count and sum), for metrics and the benchmark. */
  readonly stats = { batches: 0, rows: 0, maxBatch: 0 };

  constructor(
    private readonly write: (rows: R[]) => Promise<unknown>,
    options: BatchingWriterOptions = {},
  ) {
    this.maxRows = options.maxRows ?? 5_000;
    this.lingerMs = options.lingerMs ?? 5;
    if (!Number.isInteger(this.maxRows) || this.maxRows < 1) throw new RangeError('maxRows must be an integer ≥ 1');
    if (!(this.lingerMs >= 0)) throw new RangeError('lingerMs must be ≥ 0');
  }

  /** Queues `rows`; resolves once they are written. */
  add(rows: readonly R[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the batching writer is closed'));
    if (rows.length === 0) return Promise.resolve();
    for (const row of rows) this.rows.push(row);
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    this.schedule();
    return done;
  }

  /** Writes what waits, then refuses new rows. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.writing || this.rows.length > 0) {
      if (!this.writing) this.flushNow();
      await this.writing;
    }
  }

  private schedule(): void {
    if (this.writing) return; // the write in flight starts the next batch when it ends
    if (this.rows.length >= this.maxRows || this.lingerMs === 0) {
      this.flushNow();
    } else {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        if (!this.writing) this.flushNow();
      }, this.lingerMs);
    }
  }

  private flushNow(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.rows.length === 0) return;
    const rows = this.rows;
    const waiters = this.waiters;
    this.rows = [];
    this.waiters = [];
    this.stats.batches++;
    this.stats.rows += rows.length;
    this.stats.maxBatch = Math.max(this.stats.maxBatch, rows.length);
    this.writing = (async () => {
      try {
        await this.write(rows);
        for (const w of waiters) w.resolve();
      } catch (error) {
        for (const w of waiters) w.reject(error);
      }
    })().finally(() => {
      this.writing = undefined;
      if (this.rows.length > 0) this.flushNow();
    });
  }
}
