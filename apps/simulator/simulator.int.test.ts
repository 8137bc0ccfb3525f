/**
 * The simulator against the real system: the API and the worker as `npm run api` / `npm run worker` compose them, on
 * a fresh Postgres database, the test Redis and Kafka (topics under a random prefix). A short, fast run must place
 * orders, get batches assigned to its riders, ride them, see the deliberate far confirmations refused with 409, and
 * deliver — everything through the HTTP API.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeWorker, type WorkerRuntime } from '../worker/worker.ts';
import { composeApi, type ApiRuntime } from '../api/compose.ts';
import { mintToken } from '../../internal/auth/token.ts';
import { silentLogger } from '../../internal/platform/logger.ts';
import { createTestDatabase, type TestDatabase } from '../../tests/support/postgres.ts';
import { composeSimulator } from './compose.ts';
import { parseSimulatorArgs } from './options.ts';
import { realServersConfig } from '../../tests/support/real-servers-env.ts';
import { scaledMs } from '../../tests/support/time-scale.ts';

let testDb: TestDatabase;
let api: ApiRuntime;
let worker: WorkerRuntime;
let base: string;
/** The operator key the API registers (OPERATOR_KEY) and the simulator is given (`--key`). */
const operatorKey = mintToken('operator');
const asOperator = { headers: { authorization: `Bearer ${operatorKey}` } };

beforeAll(async () => {
  testDb = await createTestDatabase('simulator');
  // Default Redis key prefix: rider ids are random UUIDs, so other suites' riders cannot collide with these.
  const servers = realServersConfig({ databaseUrl: testDb.url, topicPrefix: `sim-${randomBytes(4).toString('hex')}.` });
  const config = { ...servers, auth: { ...servers.auth, operatorKey } };
  api = await composeApi(config, silentLogger);
  const { port } = await api.start();
  base = `http://127.0.0.1:${port}`;
  worker = await composeWorker(config, silentLogger, { dispatch: { waitWindowSeconds: 3 }, sweepIntervalMs: 300 });
  await worker.start();
});

afterAll(async () => {
  await worker?.cleanup();
  await api?.cleanup();
  await testDb?.drop();
});

describe('the rider and order simulator', () => {
  it('drives orders from placement to delivery through the HTTP API', { timeout: scaledMs(120_000) }, async () => {
    const options = parseSimulatorArgs([
      '--api',
      base,
      '--key',
      operatorKey,
      '--riders',
      '4',
      '--stores',
      '2',
      '--center',
      '52.52,13.405',
      '--rate',
      '6',
      '--speed',
      '30',
      '--far-rate',
      '0.5',
      '--ping-ms',
      '250',
      '--seed',
      '11',
      '--progress',
      '1',
    ]);
    const lines: string[] = [];
    const sim = composeSimulator(options, { logger: silentLogger, progress: (line) => lines.push(line) });
    await sim.start();
    try {
      // Until two orders were delivered and at least one far confirmation was refused (or the test times out).
      await expect
        .poll(() => ({ delivered: sim.tally.delivered >= 2, refused: sim.tally.tooFar409 >= 1 }), {
          timeout: scaledMs(90_000),
          interval: 500,
        })
        .toEqual({ delivered: true, refused: true });
    } finally {
      await sim.cleanup();
    }
    const t = sim.tally;
    expect(t.ridersRegistered).toBe(4);
    expect(t.ordersPlaced).toBeGreaterThanOrEqual(2);
    expect(t.batchesPickedUp).toBeGreaterThanOrEqual(1);
    expect(t.pings).toBeGreaterThan(10);
    expect(t.errorKinds).toEqual({});
    expect(lines.length).toBeGreaterThan(0);
    // The console line carries the API's figures, labelled with the API's clock (the wall clock here: a separate API).
    expect(lines.at(-1)).toMatch(/^\[wall \d\d:\d\d( slowed to \d+ %)?\] .*delivered \d+/);
    expect(await sim.done).toContain('simulation summary');

    // The API agrees: the demo stores exist, and the deliveries are in today's figures.
    const stores = (await (await fetch(`${base}/stores`, asOperator)).json()) as { items: unknown[] };
    expect(stores.items).toHaveLength(2);
    const stats = (await (await fetch(`${base}/stats/live`, asOperator)).json()) as {
      orders: { delivered: number };
      meanClickToDoorS: number | null;
    };
    expect(stats.orders.delivered).toBeGreaterThanOrEqual(t.delivered);
    expect(stats.meanClickToDoorS).toBeGreaterThan(0);
  });
});
