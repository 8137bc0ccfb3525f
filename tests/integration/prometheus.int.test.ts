/**
 * A real Prometheus scrapes the API's /metrics and the worker's metrics port (WORKER_METRICS_PORT) of a stack on the real
 * Postgres, Redis and Kafka; one order goes placed → ready → assigned, and PromQL over the ready → assigned SLA
 * histogram returns data. Both /metrics outputs pass `promtool check metrics`, and the embedded default (`npm start`'s
 * adapters) exports the same operations metrics under the same names.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedStoreRiderOrder } from '../support/seed-order.ts';
import { startDispatchStack, type DispatchStack } from '../support/dispatch-stack.ts';
import { freePort } from '../support/free-port.ts';
import {
  declaredMetrics,
  prometheusInstalled,
  promtoolCheckMetrics,
  startPrometheus,
  type TestPrometheus,
} from '../support/prometheus.ts';
import { waitFor } from '../support/wait-for.ts';

/** The operations metrics a dashboard reads; both set-ups export every one of them. */
const OPS_METRICS = [
  'http_request_duration_seconds',
  'eventbus_handled_total',
  'eventbus_handler_duration_seconds',
  'eventbus_consumer_lag_messages',
  'eventbus_dlq_messages',
  'outbox_backlog_messages',
  'outbox_relay_lag_seconds',
  'dispatch_ready_to_assigned_seconds',
  'dispatch_batch_size_orders',
  'dispatch_rider_trip_orders',
  'dispatch_batch_regret',
  'dispatch_riders',
  'routing_cache_hit_ratio',
  'routing_fallback_active',
  'ws_clients',
  'ws_dropped_messages_total',
];

const centre = { lat: 52.52, lon: 13.405 }; // Berlin: the straight-line router, no road data needed

/** One store, one idle rider beside it and one order, pushed to `assigned`; answers the order's id. */
async function pushOrderToAssigned(stack: DispatchStack): Promise<string> {
  const { orderId } = await seedStoreRiderOrder(stack, {
    at: centre,
    name: 'Metrics',
    item: 'soup',
    riderOffsetM: [150, 0],
    dropOffsetM: [1_200, 800],
  });
  await waitFor(
    async () =>
      (await stack.database.db.selectFrom('batch_orders').select('order_id').where('order_id', '=', orderId).execute())
        .length === 1,
    { timeoutMs: 60_000, what: 'the order to be batched', intervalMs: 100 },
  );
  const ready = await stack.api('POST', `/orders/${orderId}/ready`);
  expect(ready.status, JSON.stringify(ready.body)).toBe(200);
  await waitFor(async () => (await stack.api('GET', `/orders/${orderId}`)).body?.status === 'assigned', {
    timeoutMs: 60_000,
    what: 'the order to be assigned',
    intervalMs: 100,
  });
  return orderId;
}

async function metricsText(url: string): Promise<string> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  return response.text();
}

describe.skipIf(!prometheusInstalled())('Prometheus scrapes the API and the worker on the real servers', () => {
  let stack: DispatchStack;
  let prometheus: TestPrometheus;
  let workerMetricsUrl: string;

  beforeAll(async () => {
    const workerPort = await freePort();
    workerMetricsUrl = `http://127.0.0.1:${workerPort}/metrics`;
    stack = await startDispatchStack({
      name: 'prometheus_scrape',
      env: { WORKER_METRICS_PORT: String(workerPort) },
      worker: { sweepIntervalMs: 300, opsSampleIntervalMs: 500 },
    });
    prometheus = await startPrometheus({
      api: new URL(stack.baseUrl).host,
      worker: `127.0.0.1:${workerPort}`,
    });
  }, 180_000);

  afterAll(async () => {
    await prometheus?.stop();
    await stack?.close();
  });

  it('scrapes both, and PromQL over the SLA histogram answers once an order went ready → assigned', async () => {
    // Both targets up before the order moves, so the SLA histogram's rate sees the increase.
    await waitFor(
      async () => {
        const targets = await prometheus.targets();
        return targets.length === 2 && targets.every((t) => t.health === 'up');
      },
      { timeoutMs: 30_000, what: 'both scrape targets up', intervalMs: 200 },
    );
    await waitFor(async () => (await prometheus.query('dispatch_ready_to_assigned_seconds_count')).length === 1, {
      timeoutMs: 30_000,
      what: 'a first scrape of the SLA histogram',
      intervalMs: 200,
    });

    await pushOrderToAssigned(stack);

    const count = await waitFor(
      async () => {
        const [sample] = await prometheus.query('sum(dispatch_ready_to_assigned_seconds_count{job="worker"})');
        return sample && Number(sample.value[1]) >= 1 ? Number(sample.value[1]) : undefined;
      },
      { timeoutMs: 30_000, what: 'the SLA histogram to count the assigned order', intervalMs: 200 },
    );
    expect(count).toBe(1);

    const p99 = await waitFor(
      async () => {
        const [sample] = await prometheus.query(
          'histogram_quantile(0.99, sum by (le) (rate(dispatch_ready_to_assigned_seconds_bucket[1m])))',
        );
        const value = sample ? Number(sample.value[1]) : Number.NaN;
        return Number.isFinite(value) ? { value } : undefined;
      },
      { timeoutMs: 30_000, what: 'a finite P99 of ready → assigned', intervalMs: 200 },
    );
    expect(p99.value).toBeGreaterThanOrEqual(0);
    expect(p99.value).toBeLessThanOrEqual(30); // assigned within the SLA on an idle stack

    // The sampled gauges and the API's own histogram come back too, each from its process.
    const riders = await prometheus.query('dispatch_riders{job="worker"}');
    expect(new Set(riders.map((s) => s.metric.state))).toEqual(new Set(['offline', 'idle', 'assigned', 'delivering']));
    expect(riders.find((s) => s.metric.state === 'assigned')?.value[1]).toBeDefined();
    await waitFor(async () => (await prometheus.query('eventbus_consumer_lag_messages{job="worker"}')).length > 0, {
      timeoutMs: 30_000,
      what: 'consumer lag series from the Kafka admin API',
      intervalMs: 200,
    });
    expect(await prometheus.query('outbox_backlog_messages{job="worker"}')).toHaveLength(1);
    // The worker's scrape can land first: wait for the API's next scrape after the order's requests.
    await waitFor(
      async () =>
        (await prometheus.query('sum(http_request_duration_seconds_count{job="api",route="/orders"})'))[0]?.value[1],
      { timeoutMs: 30_000, what: "the API's request histogram for /orders", intervalMs: 200 },
    );
  });

  it('every query of the provisioned Grafana dashboard is valid PromQL that Prometheus evaluates', async () => {
    const dashboard = JSON.parse(
      readFileSync(new URL('../../ops/grafana/dashboards/deliverygo.json', import.meta.url), 'utf8'),
    ) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
    expect(exprs.length).toBeGreaterThan(10);
    for (const expr of exprs) await expect(prometheus.query(expr), expr).resolves.toBeInstanceOf(Array);
    // The panels on what this stack just did have data.
    for (const expr of ['max by (state) (dispatch_riders)', 'max(outbox_backlog_messages)'])
      expect(await prometheus.query(expr), expr).not.toEqual([]);
  });

  it('both /metrics outputs pass promtool and together export every operations metric', async () => {
    const api = await metricsText(`${stack.baseUrl}/metrics`);
    const worker = await metricsText(workerMetricsUrl);
    for (const [name, text] of [
      ['api', api],
      ['worker', worker],
    ] as const) {
      const check = promtoolCheckMetrics(text);
      expect([0, 3], `${name}: ${check.output}`).toContain(check.status); // parses (1 = it does not)
      expect(check.problems, name).toEqual([]);
    }
    const names = new Set([...declaredMetrics(api), ...declaredMetrics(worker)]);
    expect(OPS_METRICS.filter((m) => !names.has(m))).toEqual([]);
  });
});

describe.skipIf(!prometheusInstalled())('the embedded default exports the same metrics', () => {
  let stack: DispatchStack;

  beforeAll(async () => {
    stack = await startDispatchStack({
      name: 'prometheus_embedded',
      backend: 'embedded',
      worker: { sweepIntervalMs: 300, opsSampleIntervalMs: 200 },
    });
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
  });

  it('passes promtool, names every operations metric, counts the SLA and reports the in-process bus lag', async () => {
    await pushOrderToAssigned(stack);
    const text = await waitFor(
      async () => {
        const body = await metricsText(`${stack.baseUrl}/metrics`);
        return /^dispatch_ready_to_assigned_seconds_count 1$/m.test(body) &&
          /^eventbus_consumer_lag_messages\{/m.test(body)
          ? body
          : undefined;
      },
      { timeoutMs: 30_000, what: 'the SLA count and the in-process lag on /metrics', intervalMs: 100 },
    );
    const check = promtoolCheckMetrics(text);
    expect([0, 3], check.output).toContain(check.status);
    expect(check.problems).toEqual([]);
    const names = declaredMetrics(text);
    expect(OPS_METRICS.filter((m) => !names.has(m))).toEqual([]);
  });
});
