/**
 * `API_WORKERS` > 1: the API as a node:cluster primary that forks that many workers, each composing the whole API
 * (its own Postgres pool, Redis and Kafka clients) and listening on the shared port; the primary only forwards
 * shutdown signals. One event loop per core when the HTTP layer (parsing, validation, JSON) is the bottleneck.
 * The WebSocket hub is cluster-safe: every worker subscribes to the Redis fan-out channels.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../../internal/platform/logger.ts';

/** True in a process that should compose and serve the API (a cluster worker, or the only process). */
export function servesApi(workers: number): boolean {
  return workers <= 1 || cluster.isWorker;
}

/**
 * In the primary: forks `workers` API workers. The first is forked alone and waited for (it migrates the database at
 * start-up), the others then together. A worker that dies unexpectedly is logged and not replaced: the process
 * manager (or the operator) restarts the whole API. SIGINT/SIGTERM are forwarded; the primary exits when all workers
 * have (exit code 1 if any failed).
 */
export async function runClusterPrimary(workers: number, logger: Logger): Promise<void> {
  let stopping = false;
  let failed = false;
  const forkOne = (): Promise<Worker> =>
    new Promise((resolve, reject) => {
      const w = cluster.fork();
      w.once('listening', () => resolve(w));
      w.once('exit', (code) => reject(new Error(`api worker ${w.id} exited with ${code} before listening`)));
    });
  cluster.on('exit', (w, code, signal) => {
    if (code !== 0) failed = true;
    if (!stopping) logger.error({ worker: w.id, code, signal }, 'api worker died');
    if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(failed ? 1 : 0);
  });
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping api workers');
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(signal);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    await forkOne();
    await Promise.all(Array.from({ length: workers - 1 }, forkOne));
    logger.info({ workers }, 'api cluster listening');
  } catch (error) {
    if (stopping) return; // told to stop while workers were still starting: not a failure
    logger.fatal({ err: error }, 'api cluster failed to start');
    stop('SIGTERM');
  }
}
