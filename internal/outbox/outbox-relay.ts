import { sql, type Kysely } from 'kysely';
import type pg from 'pg';
import type { EventBus, OutgoingRecord } from '../eventbus/event-bus.ts';
import type { Database } from '../db/schema.ts';
import { BackoffDelays } from '../platform/backoff.ts';
import type { Logger } from '../platform/logger.ts';
import { OUTBOX_CHANNEL } from './outbox.ts';
import { publishSpans } from './relay-spans.ts';

export interface OutboxRelayOptions {
  db: Kysely<Database>;
  bus: EventBus;
  logger: Logger;
  /**
   * The pool behind `db`. When given, the relay holds one of its connections to LISTEN on the outbox channel and
   * wakes as soon as a transaction that enqueued events commits. Without it (or if LISTEN fails) it only polls.
   */
  pool?: pg.Pool;
  /** Rows published per transaction. */
  batchSize?: number;
  /** Wait between polls when idle; with LISTEN this only matters if a notification is lost. */
  pollIntervalMs?: number;
  /** Exponential backoff after a failed publish: first wait, doubling up to `maxMs`. */
  backoff?: { initialMs?: number; maxMs?: number };
}

/** What one `relayBatch` did. */
export type BatchOutcome =
  | { kind: 'published'; count: number }
  | { kind: 'failed'; count: number; error: unknown }
  | { kind: 'idle' }
  /** Another relay holds the outbox lock; it is publishing. */
  | { kind: 'busy' };

/**
 * Key of the transaction-level advisory lock that lets one relay at a time publish. `FOR UPDATE SKIP LOCKED` alone
 * would let a second relay publish rows 101–200 while the first still publishes 1–100, putting a key's later event
 * on the bus before its earlier one. The lock keeps per-key order across relays; SKIP LOCKED stays as a second guard.
 */
const RELAY_LOCK_KEY = 0x6f7574626f78; // "outbox" in ASCII; well inside int8 and JS safe integers

/** How often a lost LISTEN connection is retried, at most. */
const RELISTEN_INTERVAL_MS = 5_000;

/**
 * Publishes committed outbox rows to the event bus, in id order, at least once.
 *
 * Each batch is one Postgres transaction: lock the next unpublished rows, `bus.publishAll` them, stamp
 * `published_at`, commit. If the process dies between publish and commit the rows stay unpublished and the next
 * relay publishes them again — a duplicate, never a loss; consumers de-duplicate by event id. If the bus refuses a
 * batch, `attempts`/`last_error` are recorded, the relay backs off and retries the same rows (it never skips ahead,
 * which would break per-key order).
 */
export class OutboxRelay {
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  /** Waits after consecutive failed batches (no jitter: one relay at a time publishes, there is no herd). */
  private readonly backoff: BackoffDelays;

  private running = false;
  private loopDone: Promise<void> | undefined;
  /** A notification arrived since the current batch began: look again before sleeping. */
  private notified = false;
  private sleeper: { timer: NodeJS.Timeout; resolve: () => void; wakeOnNotify: boolean } | undefined;
  private listener: pg.PoolClient | undefined;
  private lastListenAttempt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: OutboxRelayOptions) {
    this.batchSize = options.batchSize ?? 100;
    this.pollIntervalMs = options.pollIntervalMs ?? 250;
    const initialMs = options.backoff?.initialMs ?? 100;
    this.backoff = new BackoffDelays({
      initialMs,
      maxMs: Math.max(initialMs, options.backoff?.maxMs ?? 10_000),
      jitter: 'none',
    });
  }

  /** Starts relaying in the background. Calling it twice is a no-op. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  /**
   * Stops relaying: lets the in-flight batch finish (published and marked, or recorded as failed), then releases
   * the LISTEN connection. Resolves when nothing of the relay is running any more.
   */
  async stop(): Promise<void> {
    this.running = false;
    this.wake(true);
    await this.loopDone;
    this.loopDone = undefined;
    this.dropListener();
  }

  /** Publishes at most one batch. The loop calls it; tests may call it directly. */
  async relayBatch(): Promise<BatchOutcome> {
    const { db, bus } = this.options;
    return db.transaction().execute(async (trx): Promise<BatchOutcome> => {
      const lock = await sql<{
        locked: boolean;
      }>`select pg_try_advisory_xact_lock(${sql.lit(RELAY_LOCK_KEY)}) as locked`.execute(trx);
      if (lock.rows[0]?.locked !== true) return { kind: 'busy' };

      const rows = await trx
        .selectFrom('outbox')
        .select(['id', 'topic', 'key', 'event', 'headers'])
        .where('published_at', 'is', null)
        .orderBy('id')
        .limit(this.batchSize)
        .forUpdate()
        .skipLocked()
        .execute();
      if (rows.length === 0) return { kind: 'idle' };

      const ids = rows.map((row) => row.id);
      const records: OutgoingRecord[] = rows.map((row) => ({
        topic: row.topic,
        key: row.key,
        event: row.event,
        headers: row.headers,
      }));
      // Traced rows get a publish span each, child of the row's context; the message carries the span on.
      const spans = publishSpans(rows, records);
      try {
        await bus.publishAll(records);
        spans?.end();
      } catch (error) {
        spans?.end(error);
        await trx
          .updateTable('outbox')
          .set({ attempts: sql<number>`attempts + 1`, last_error: describe(error) })
          .where('id', 'in', ids)
          .execute();
        return { kind: 'failed', count: rows.length, error };
      }
      await trx
        .updateTable('outbox')
        .set({ published_at: sql<Date>`now()`, attempts: sql<number>`attempts + 1` })
        .where('id', 'in', ids)
        .execute();
      return { kind: 'published', count: rows.length };
    });
  }

  private async loop(): Promise<void> {
    const { logger } = this.options;
    let failures = 0;
    await this.listen();
    while (this.running) {
      this.notified = false;
      let outcome: BatchOutcome;
      try {
        outcome = await this.relayBatch();
      } catch (error) {
        // The database, not the bus, failed (connection lost mid-batch, timeout…). The transaction did not commit,
        // so whatever was published will be published again.
        outcome = { kind: 'failed', count: 0, error };
      }
      if (outcome.kind === 'failed') {
        failures += 1;
        const delay = this.backoff.next();
        logger.warn(
          { err: outcome.error, rows: outcome.count, failures, retryInMs: delay },
          'outbox relay batch failed; will retry',
        );
        await this.sleep(delay, false);
        continue;
      }
      if (failures > 0) logger.info({ failures }, 'outbox relay recovered');
      failures = 0;
      this.backoff.reset();
      if (outcome.kind === 'published') {
        logger.debug({ count: outcome.count }, 'outbox batch published');
        if (outcome.count === this.batchSize) continue; // more may be waiting
      }
      if (!this.listener) await this.listen();
      if (!this.notified) await this.sleep(this.pollIntervalMs, true);
    }
  }

  /** Waits `ms`, or less if stopped — or, when `wakeOnNotify`, if a commit notification arrives. */
  private sleep(ms: number, wakeOnNotify: boolean): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.wake(true), ms);
      this.sleeper = { timer, resolve, wakeOnNotify };
    });
  }

  private wake(force: boolean): void {
    const sleeper = this.sleeper;
    if (!sleeper || (!force && !sleeper.wakeOnNotify)) return;
    clearTimeout(sleeper.timer);
    this.sleeper = undefined;
    sleeper.resolve();
  }

  private onNotification = (message: pg.Notification): void => {
    if (message.channel !== OUTBOX_CHANNEL) return;
    this.notified = true;
    this.wake(false);
  };

  private onListenerError = (error: Error): void => {
    this.options.logger.warn({ err: error }, 'outbox LISTEN connection lost; polling until it is back');
    this.dropListener(error);
  };

  /** Holds a pooled connection LISTENing on the outbox channel; on failure the relay just polls. */
  private async listen(): Promise<void> {
    const { pool, logger } = this.options;
    if (!pool || this.listener || !this.running) return;
    if (Date.now() - this.lastListenAttempt < RELISTEN_INTERVAL_MS) return;
    this.lastListenAttempt = Date.now();
    let client: pg.PoolClient | undefined;
    try {
      client = await pool.connect();
      client.on('notification', this.onNotification);
      client.on('error', this.onListenerError);
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
      this.listener = client;
    } catch (error) {
      logger.warn({ err: error }, 'outbox LISTEN failed; relying on polling');
      if (client) detach(client, this.onNotification, this.onListenerError, error instanceof Error ? error : true);
    }
  }

  private dropListener(error?: Error): void {
    const client = this.listener;
    if (!client) return;
    this.listener = undefined;
    // Destroy rather than return it to the pool: its session is either broken or still LISTENing.
    detach(client, this.onNotification, this.onListenerError, error ?? true);
  }
}

function detach(
  client: pg.PoolClient,
  onNotification: (message: pg.Notification) => void,
  onError: (error: Error) => void,
  releaseWith: Error | true,
): void {
  client.off('notification', onNotification);
  client.off('error', onError);
  // A dying connection may still emit 'error'; an unhandled one would crash the process.
  client.on('error', () => {});
  client.release(releaseWith);
}

function describe(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.slice(0, 2_000);
}
