import { describe, expect, it } from 'vitest';
import type { EventBus, OutgoingRecord } from '../eventbus/event-bus.ts';
import { historyShardKey } from '../events/catalog.ts';
import { MemoryGeoStore } from '../geostore/memory-geo-store.ts';
import type { LiveMessage } from '../livefeed/live-feed.ts';
import { MemoryLiveFeed } from '../livefeed/memory-live-feed.ts';
import { ManualClock } from '../platform/clock.ts';
import { AppError } from '../platform/errors.ts';
import { silentLogger } from '../platform/logger.ts';
import { KnownRiders } from './known-riders.ts';
import { createTelemetryService } from './telemetry-service.ts';

const NOW = Date.parse('2026-11-22T10:00:00Z');

/** A bus whose publishes the test releases by hand. */
function gatedBus() {
  const published: OutgoingRecord[] = [];
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => (release = r));
  const bus = {
    publishAll: async (records: readonly OutgoingRecord[]) => {
      published.push(...records);
      await gate;
    },
  } as unknown as EventBus;
  return { bus, published, release };
}

async function setup(options: { publishDeadlineMs?: number } = {}) {
  const clock = new ManualClock(NOW);
  const geo = new MemoryGeoStore({ clock });
  const feed = new MemoryLiveFeed();
  const live: LiveMessage[] = [];
  for (const channel of ['rider:r1', 'rider:r2', 'map']) await feed.subscribe(channel, (m) => live.push(m));
  const gated = gatedBus();
  const riders = new KnownRiders(async (ids) => ids.filter((id) => id.startsWith('r')));
  const service = createTelemetryService({
    db: null as never,
    geo,
    bus: gated.bus,
    feed,
    riders,
    clock,
    logger: silentLogger,
    ...options,
  });
  return { service, live, geo, ...gated };
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe('telemetry service', () => {
  it('publishes a current ping live before Kafka acknowledges, and answers only after it did', async () => {
    const t = await setup();
    let answered = false;
    const done = t.service.ingest('r1', { lat: 43.7, lon: 7.42, recordedAt: NOW - 1_000, speed: 3 }).then((r) => {
      answered = true;
      return r;
    });
    await tick();
    expect(t.live.map((m) => m.channel).sort()).toEqual(['map', 'rider:r1']);
    expect(t.live[0]).toMatchObject({
      type: 'rider.location',
      data: { riderId: 'r1', lat: 43.7, lon: 7.42, speed: 3, recordedAt: new Date(NOW - 1_000).toISOString() },
    });
    expect(answered).toBe(false); // the history record is not durable yet
    t.release();
    expect(await done).toEqual({ applied: true });
    expect(t.published).toHaveLength(1);
    expect(t.published[0]).toMatchObject({
      topic: 'rider.location',
      key: historyShardKey('r1'),
      event: { payload: { pings: [{ riderId: 'r1', lat: 43.7 }] } },
    });
  });

  it('sends an older ping to the history only, never live', async () => {
    const t = await setup();
    t.release();
    await t.service.ingest('r1', { lat: 1, lon: 1, recordedAt: NOW - 1_000 });
    await tick();
    t.live.length = 0;
    expect(await t.service.ingest('r1', { lat: 2, lon: 2, recordedAt: NOW - 5_000 })).toEqual({ applied: false });
    await tick();
    expect(t.live).toHaveLength(0);
    expect(t.published).toHaveLength(2);
    expect((await t.geo.getRiderPosition('r1'))?.lat).toBe(1);
  });

  it('refuses unknown riders (404) and pings from the future (400 naming the field)', async () => {
    const t = await setup();
    t.release();
    await expect(t.service.ingest('x1', { lat: 1, lon: 1, recordedAt: NOW })).rejects.toMatchObject({
      slug: 'rider.not_found',
    });
    const future = await t.service
      .ingestMany([{ riderId: 'r1', lat: 1, lon: 1, recordedAt: NOW + 3_600_000 }])
      .catch((e: unknown) => e);
    expect(future).toBeInstanceOf(AppError);
    expect((future as AppError).details.field).toBe('pings[0].recorded_at');
  });

  it('bulk: counts outcomes per ping, history packed per rider shard, live only for current pings', async () => {
    const t = await setup();
    t.release();
    const result = await t.service.ingestMany([
      { riderId: 'r1', lat: 1, lon: 1, recordedAt: NOW - 3_000 },
      { riderId: 'x9', lat: 1, lon: 1, recordedAt: NOW - 3_000 },
      { riderId: 'r2', lat: 2, lon: 2, recordedAt: NOW - 2_000 },
      { riderId: 'r1', lat: 3, lon: 3, recordedAt: NOW - 4_000 }, // older than r1's first: ignored
    ]);
    expect(result).toEqual({
      accepted: 2,
      ignored: 1,
      unknownRider: 1,
      results: ['accepted', 'unknown_rider', 'accepted', 'ignored'],
    });
    // Every known ping (current or not) goes to the history, under its rider's shard key, in post order per rider.
    const historyPings = t.published.flatMap((r) =>
      (r.event.payload as { pings: Array<{ riderId: string; lat: number }> }).pings.map((p) => ({ key: r.key, ...p })),
    );
    expect(historyPings.map((p) => [p.riderId, p.lat])).toEqual(
      expect.arrayContaining([
        ['r1', 1],
        ['r1', 3],
        ['r2', 2],
      ]),
    );
    expect(historyPings).toHaveLength(3);
    expect(historyPings.filter((p) => p.riderId === 'r1').map((p) => p.lat)).toEqual([1, 3]);
    for (const p of historyPings) expect(p.key).toBe(historyShardKey(p.riderId));
    await tick();
    // Each current ping on its rider's channel; the map gets them all in one `rider.locations` frame.
    expect(
      t.live
        .filter((m) => m.channel.startsWith('rider:'))
        .map((m) => [m.type, (m.data as { riderId: string }).riderId]),
    ).toEqual([
      ['rider.location', 'r1'],
      ['rider.location', 'r2'],
    ]);
    const map = t.live.filter((m) => m.channel === 'map');
    expect(map).toHaveLength(1);
    expect(map[0]).toMatchObject({
      type: 'rider.locations',
      data: {
        locations: [
          { riderId: 'r1', lat: 1 },
          { riderId: 'r2', lat: 2 },
        ],
      },
    });
  });

  it('answers 503 dependency.unavailable (kafka) past the request publish deadline, refuses at once while that publish hangs, and recovers', async () => {
    const t = await setup({ publishDeadlineMs: 50 });
    const started = Date.now();
    const first = await t.service
      .ingest('r1', { lat: 43.7, lon: 7.42, recordedAt: NOW - 3_000 })
      .catch((e: unknown) => e);
    expect(first).toBeInstanceOf(AppError);
    expect(first).toMatchObject({
      kind: 'unavailable',
      slug: 'dependency.unavailable',
      details: { dependency: 'kafka' },
    });
    expect(Date.now() - started).toBeLessThan(2_000);
    // The broker has not taken the first record: a second ping is refused without queueing behind it.
    const second = await t.service
      .ingestMany([{ riderId: 'r2', lat: 43.7, lon: 7.42, recordedAt: NOW - 2_000 }])
      .catch((e: unknown) => e);
    expect(second).toMatchObject({ slug: 'dependency.unavailable', details: { dependency: 'kafka' } });
    expect(t.published).toHaveLength(1);
    // The broker takes it: pings are published and answered again.
    t.release();
    await expect
      .poll(
        async () =>
          await t.service.ingest('r1', { lat: 43.7, lon: 7.42, recordedAt: NOW - 1_000 }).then(
            () => 'ok',
            () => 'refused',
          ),
      )
      .toBe('ok');
    expect(t.published.length).toBeGreaterThanOrEqual(2);
  });

  it('answers a bus failure as 503 dependency.unavailable (kafka)', async () => {
    const clock = new ManualClock(NOW);
    const bus = {
      publishAll: async () =>
        Promise.reject(new Error('cannot publish to rider.location: KafkaJSNumberOfRetriesExceeded')),
    } as unknown as EventBus;
    const riders = new KnownRiders(async (ids) => [...ids]);
    const service = createTelemetryService({
      db: null as never,
      geo: new MemoryGeoStore({ clock }),
      bus,
      feed: new MemoryLiveFeed(),
      riders,
      clock,
      logger: silentLogger,
      publishDeadlineMs: 1_000,
    });
    await expect(service.ingest('r1', { lat: 43.7, lon: 7.42, recordedAt: NOW })).rejects.toMatchObject({
      kind: 'unavailable',
      slug: 'dependency.unavailable',
      details: { dependency: 'kafka' },
    });
  });
});
