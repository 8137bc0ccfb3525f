import { Coalescer } from '../platform/coalescer.ts';

export interface BatchingWriterOptions {
  /** Flush as soon as this many rows wait. Default 5 000. */
  maxRows?: number;
  /** Longest a row waits for company before it is flushed. Default 5 ms. */
  lingerMs?: number;
}

/**
 * Collects rows from many concurrent callers and writes them in one call; `add()` resolves only once the batch that
 * holds its rows was written (or rejects with the write's error), so a consumer that acknowledges after `add()`
 * acknowledges only what is durable.
 *
 * The platform `Coalescer` set up for rows: one write at a time; rows added while a write is in flight form the next
 * batch (up to `maxRows` rows), written as soon as the current one ends if they have waited `lingerMs`. An idle writer
 * waits at most `lingerMs` for company — or not at all once `maxRows` rows wait. One `add` bigger than `maxRows` is
 * written as is.
 */
export class BatchingWriter<R> {
  private readonly queue: Coalescer<readonly R[], void>;
  private closed = false;

  constructor(write: (rows: R[]) => Promise<unknown>, options: BatchingWriterOptions = {}) {
    const maxRows = options.maxRows ?? 5_000;
    if (!Number.isInteger(maxRows) || maxRows < 1) throw new RangeError('maxRows must be an integer ≥ 1');
    this.queue = new Coalescer<readonly R[], void>(
      async (adds) => {
        await write(adds.flat() as R[]);
        return adds.map(() => undefined);
      },
      { maxInFlight: 1, maxBatch: maxRows, weigh: (rows) => rows.length, lingerMs: options.lingerMs ?? 5 },
    );
  }

  /** Sizes of the batches written so far (count, rows, largest), for metrics and the benchmark. */
  get stats(): { batches: number; rows: number; maxBatch: number } {
    const { batches, weight, maxBatch } = this.queue.stats;
    return { batches, rows: weight, maxBatch };
  }

  /** Queues `rows`; resolves once they are written. */
  add(rows: readonly R[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('the batching writer is closed'));
    if (rows.length === 0) return Promise.resolve();
    return this.queue.call(rows);
  }

  /** Writes what waits, then refuses new rows. */
  close(): Promise<void> {
    this.closed = true;
    return this.queue.close();
  }
}
