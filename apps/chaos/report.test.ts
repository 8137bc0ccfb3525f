import { describe, expect, it } from 'vitest';
import type { Audit } from './audit.ts';
import { renderReport, verdictOf, type ChaosResult } from './report.ts';

const cleanAudit: Audit = {
  rows: 12,
  byStatus: { delivered: 11, cancelled: 1 },
  delivered: 11,
  cancelled: { customer: 1 },
  stuck: [],
  ordersInTwoBatches: 0,
  ridersOnTwoActiveBatches: 0,
  activeBatches: {},
  unpublishedOutbox: 0,
  dlq: { 'order.placed.dlq': 0 },
  deadLetters: [],
};

const recovered = { apiMs: 800, flowMs: 4_200, orderId: 'p1', waitingAtAccept: 7, errors: {} };

function passing(): ChaosResult {
  return {
    mode: 'short',
    startedAt: '2026-12-02T13:00:00.000Z',
    durationMs: 300_000,
    setup: { riders: 12 },
    simulator: { accepted: 10, failed: 1, delivered: 10, errorKinds: { 'order 503 dependency.unavailable': 1 } },
    probesAccepted: 2,
    baseline: { apiMs: 50, flowMs: 300, orderId: 'p0', errors: {} },
    faults: [
      {
        name: 'worker-kill',
        action: 'kill -9 the worker',
        atMs: 60_000,
        processBackMs: 9_000,
        recovery: recovered,
        notes: [],
      },
    ],
    unexpectedExits: [],
    drain: { ms: 40_000, complete: true, deadlineMs: 120_000 },
    audit: cleanAudit,
    timeline: [
      { atMs: 1_000, event: 'servers up' },
      { atMs: 10_000, orders: { delivered: 3 } },
    ],
  };
}

describe('the fault run verdict', () => {
  it('passes when every accepted order is delivered or cancelled with a reason and every fault recovered', () => {
    expect(verdictOf(passing())).toEqual({ passed: true, failures: [] });
  });

  it('fails on stuck orders, naming how many in which status', () => {
    const r = passing();
    r.audit = {
      ...cleanAudit,
      stuck: [
        { id: 'a', status: 'batched', ageS: 90 },
        { id: 'b', status: 'batched', ageS: 80 },
        { id: 'c', status: 'ready', ageS: 70 },
      ],
    };
    const v = verdictOf(r);
    expect(v.passed).toBe(false);
    expect(v.failures).toEqual(['3 accepted order(s) neither delivered nor cancelled: 2 batched, 1 ready']);
  });

  it('fails on double batching, a rider on two active batches, an undeliberate cancel, and missing rows', () => {
    const r = passing();
    r.audit = { ...cleanAudit, rows: 11, ordersInTwoBatches: 1, ridersOnTwoActiveBatches: 2, cancelled: { none: 1 } };
    expect(verdictOf(r).failures).toEqual([
      '1 order(s) cancelled without a reason',
      '1 order(s) in two batches',
      '2 rider(s) on two active batches',
      '1 accepted order(s) missing from Postgres',
    ]);
  });

  it('fails when a fault did not recover, a process never came back, or one exited by itself', () => {
    const r = passing();
    r.faults = [
      {
        name: 'kafka-kill',
        action: 'kill -9 Kafka',
        atMs: 1,
        processBackMs: null,
        recovery: { apiMs: 500, flowMs: null, orderId: 'p', errors: {}, error: 'never given to a rider' },
        notes: [],
      },
    ];
    r.faults.push({
      name: 'api-sigterm',
      action: 'SIGTERM the API',
      atMs: 2,
      processBackMs: 3_000,
      recovery: recovered,
      notes: [],
      failure: 'the API did not exit cleanly on SIGTERM (code null, signal SIGKILL)',
    });
    r.unexpectedExits = [{ process: 'worker', atMs: 61_000, code: 1, signal: null, tail: 'worker failed to start' }];
    expect(verdictOf(r).failures).toEqual([
      'kafka-kill: orders did not flow again (never given to a rider)',
      'kafka-kill: the restarted process never answered',
      'api-sigterm: the API did not exit cleanly on SIGTERM (code null, signal SIGKILL)',
      'worker exited by itself at 61.0 s (code 1, signal –)',
    ]);
  });

  it('fails when the run was cut short or the audit or the tally is missing', () => {
    const r = { ...passing(), aborted: 'budget ran out', audit: null, simulator: null };
    expect(verdictOf(r).failures).toEqual([
      'the run did not finish: budget ran out',
      'no audit (Postgres did not answer at the end)',
      "the simulator's tally is missing (it did not finish cleanly)",
    ]);
  });
});

describe('the fault run report', () => {
  it('has the verdict, the audit table, a recovery row per fault and the timeline', () => {
    const r = passing();
    const text = renderReport(r, verdictOf(r));
    expect(text).toContain('**PASSED**');
    expect(text).toContain("| accepted (201/200 seen by the simulator + the run's probe orders) | 10 + 2 = 12 |");
    expect(text).toContain('| stuck (neither delivered nor cancelled) | 0 |');
    expect(text).toContain('| cancelled | 1 (customer: 1) |');
    expect(text).toContain('| worker-kill | 60.0 s | 9.0 s | 0.8 s | 4.2 s | 7 | kill -9 the worker |');
    expect(text).toContain('| 1.0 s | servers up |');
    expect(text).toContain('| order 503 dependency.unavailable | 1 |');
  });

  it('lists the failures and the stuck orders when it failed', () => {
    const r = passing();
    r.audit = { ...cleanAudit, stuck: [{ id: 'o-9', status: 'batched', ageS: 95 }] };
    const text = renderReport(r, verdictOf(r));
    expect(text).toContain('**FAILED**');
    expect(text).toContain('## Failures');
    expect(text).toContain('| o-9 | batched | 95 s |');
  });

  it('says why each dead-lettered event was parked', () => {
    const r = passing();
    r.audit = {
      ...cleanAudit,
      dlq: { 'routes.refined.dlq': 1 },
      deadLetters: [
        {
          topic: 'routes.refined.dlq',
          kind: 'exhausted',
          reason: 'Connection is closed.',
          attempts: 5,
          failedAt: '2026-12-02T13:45:00.000Z',
        },
      ],
    };
    const text = renderReport(r, verdictOf(r));
    expect(text).toContain('| dead-lettered events | 1 (routes.refined.dlq: 1) |');
    expect(text).toContain('| 2026-12-02T13:45:00.000Z | routes.refined.dlq | exhausted | 5 | Connection is closed. |');
  });
});
