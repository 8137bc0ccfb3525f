import { createHash, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { encodeEvent } from '../eventbus/event-bus.ts';
import { record, type PayloadOf, type TopicName } from '../events/catalog.ts';
import type { BronzeRow } from './bronze.ts';
import { checkQuality, haversineM, type ReferenceData } from './quality-checks.ts';
import { parseSilver } from './silver.ts';

const store = { id: randomUUID(), lat: 43.7384, lon: 7.4246 };
const order = randomUUID();
const batch = randomUUID();
const rider = randomUUID();
const t = (minute: number) => new Date(Date.UTC(2026, 10, 21, 12, minute)).toISOString();
let offset = 0;

/** A bronze row as the archiver would store it, from a raw value. */
function raw(topic: string, value: string, at = new Date(t(0))): BronzeRow {
  return {
    topic,
    partition: 0,
    offset: String(offset++),
    key: 'k',
    headers: {},
    value,
    valueSha256: createHash('sha256').update(value).digest('hex'),
    eventId: null,
    eventType: null,
    occurredAt: at,
    eventAt: at,
    consumedAt: at,
  };
}
function row<T extends TopicName>(topic: T, payload: PayloadOf<T>, at: string): BronzeRow {
  const r = record(topic, 'k', payload, new Date(at));
  return raw(r.topic, encodeEvent(r.event), new Date(at));
}
const placed = (minute = 0, drop = { lat: store.lat + 0.01, lon: store.lon }) =>
  row(
    'orderPlaced',
    {
      orderId: order,
      storeId: store.id,
      cell: 'c',
      drop,
      placedAt: t(minute),
      readyAt: t(minute + 10),
      promisedAt: t(minute + 40),
    },
    t(minute),
  );
const updated = (status: string, minute: number, orderId = order) =>
  row('orderUpdated', { orderId, storeId: store.id, status, batchId: batch, riderId: rider }, t(minute));

const refs: ReferenceData = {
  orders: new Set([order]),
  batches: new Set([batch]),
  riders: new Set([rider]),
  paths: new Set(['p1']),
  stores: new Map([[store.id, store]]),
};
const run = (rows: BronzeRow[]) => {
  const parsed = parseSilver(rows);
  const checked = checkQuality(parsed.events, refs, { serviceRadiusM: 15_000 });
  return { parsed, checked, all: [...parsed.quarantined, ...checked.quarantined].map((q) => [q.stage, q.reason]) };
};

describe('silver parsing and data-quality checks', () => {
  it('keeps a clean order lifecycle whole', () => {
    const { checked, all } = run([placed(), updated('picked_up', 20), updated('delivered', 30)]);
    expect(all).toEqual([]);
    expect(checked.events).toHaveLength(3);
  });

  it('quarantines unreadable messages and payloads that break the schema, naming the field', () => {
    const { all } = run([
      raw('order.placed', '{"id":'),
      raw(
        'order.placed',
        JSON.stringify({ id: 'x', type: 'order.placed', occurredAt: t(0), payload: { orderId: order } }),
      ),
      raw('nope.topic', '{}'),
    ]);
    // Same instant: ordered by topic, then offset.
    expect(all).toEqual([
      ['schema', 'unknown topic nope.topic'],
      ['schema', expect.stringMatching(/^invalid JSON/)],
      ['schema', expect.stringMatching(/^invalid payload for order\.placed: storeId: /)],
    ]);
  });

  it('collapses a byte-identical repeat but quarantines an event id reused for other content', () => {
    const first = placed();
    const event = JSON.parse(first.value);
    const other = raw('order.placed', JSON.stringify({ ...event, payload: { ...event.payload, cell: 'other' } }));
    const { parsed, all } = run([first, { ...first, offset: '99' }, other]);
    expect(parsed.duplicates).toHaveLength(1);
    expect(all).toEqual([['duplicate', `event id ${event.id} already seen with different content`]]);
  });

  it('checks blanks, ranges, the service area and orphans', () => {
    const blank = row('orderReady', { orderId: ' ', storeId: store.id, readyMarkedAt: t(5) }, t(5));
    const early = row(
      'orderPlaced',
      { orderId: order, storeId: store.id, cell: 'c', drop: store, placedAt: t(10), readyAt: t(5), promisedAt: t(40) },
      t(10),
    );
    const far = placed(0, { lat: store.lat + 0.2, lon: store.lon });
    const ghost = updated('delivered', 30, randomUUID());
    const { all } = run([blank, early, far, ghost]);
    // In the export's order (event instants): the far order at 12:00 comes first.
    expect(all).toEqual([
      ['service_area', expect.stringMatching(new RegExp(`m from store ${store.id} \\(service radius 15000 m\\)$`))],
      ['nulls', 'orderId is blank'],
      ['ranges', `readyAt ${t(5)} is before placedAt ${t(10)}`],
      ['orphans', expect.stringMatching(/^order .* does not exist$/)],
    ]);
  });

  it('quarantines the lifecycle step that comes too early, and only notes a pickup before the ready mark', () => {
    const ready = row('orderReady', { orderId: order, storeId: store.id, readyMarkedAt: t(25) }, t(25));
    const { checked, all } = run([placed(), updated('picked_up', 20), ready, updated('delivered', 15)]);
    expect(all).toEqual([['lifecycle', `order ${order} delivered at ${t(15)}, before it was picked up at ${t(20)}`]]);
    expect(checked.notes.readyAfterPickup).toHaveLength(1);
    const before = run([placed(10), updated('picked_up', 5)]);
    expect(before.all).toEqual([
      ['lifecycle', `order ${order} picked up at ${t(5)}, before it was placed at ${t(10)}`],
    ]);
  });

  it('measures great-circle distance', () => {
    // One degree of latitude is about 111.2 km.
    expect(haversineM({ lat: 0, lon: 0 }, { lat: 1, lon: 0 })).toBeCloseTo(111_195, -2);
  });
});
