import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { latLngToCell } from 'h3-js';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import type { LiveMessage } from '../livefeed/live-feed.ts';
import { MemoryLiveFeed } from '../livefeed/memory-live-feed.ts';
import { parseChannel } from './channel-name.ts';
import { WsHub, type WsHubOptions } from './ws-hub.ts';
import { HubTestClient } from './ws-hub-test-client.ts';
import { waitFor } from '../../tests/support/wait-for.ts';
import { scaledMs } from '../../tests/support/time-scale.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Harness {
  hub: WsHub;
  feed: MemoryLiveFeed;
  registry: Registry;
  url: string;
  server: Server;
}

const open: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of open.splice(0).reverse()) await close();
});

async function start(options: Partial<WsHubOptions> = {}): Promise<Harness> {
  const feed = new MemoryLiveFeed();
  const registry = new Registry();
  const hub = new WsHub({ feed, registry, ...options });
  const server = createServer((_req, res) => res.end('http'));
  hub.attach(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`;
  open.push(async () => {
    await hub.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await feed.close();
  });
  return { hub, feed, registry, url, server };
}

async function client(url: string, options = {}): Promise<HubTestClient> {
  const c = await HubTestClient.connect(url, options);
  open.push(() => c.close());
  return c;
}

const location = (riderId: string, n: number, channel = `rider:${riderId}`): LiveMessage => ({
  channel,
  type: 'rider.location',
  data: { riderId, lat: 43.7 + n / 1000, lon: 7.42, recordedAt: new Date(1_700_000_000_000 + n).toISOString() },
  at: new Date().toISOString(),
});

const metric = async (registry: Registry, name: string) =>
  (await registry.getSingleMetric(name)!.get()).values[0]?.value ?? 0;

describe('channel names', () => {
  it('accepts the documented channels only', () => {
    const cell = latLngToCell(43.7, 7.42, 5);
    expect(parseChannel('map')).toEqual({ kind: 'map' });
    expect(parseChannel(`map:${cell}`)).toEqual({ kind: 'map-cell', cell });
    expect(parseChannel(`map:${latLngToCell(43.7, 7.42, 8)}`)).toBeUndefined(); // wrong resolution
    expect(parseChannel('order:0f8fad5b-d9cb-469f-a165-70867728950e')).toEqual({
      kind: 'order',
      id: '0f8fad5b-d9cb-469f-a165-70867728950e',
    });
    expect(parseChannel('rider:r1')).toEqual({ kind: 'rider', id: 'r1' });
    expect(parseChannel('batch:b-1')).toEqual({ kind: 'batch', id: 'b-1' });
    for (const bad of ['', 'maps', 'order:', 'store:1', 'rider:a b', 'rider:*', 42, null])
      expect(parseChannel(bad)).toBeUndefined();
  });
});

describe('WsHub', () => {
  it('subscribes and unsubscribes, forwarding frames in the documented shape', async () => {
    const h = await start();
    const c = await client(h.url);
    await c.subscribe('rider:r1');
    const sent = location('r1', 1);
    await h.feed.publish(sent);
    expect(await c.waitFor((f) => f.type === 'rider.location')).toEqual(sent);

    await c.unsubscribe('rider:r1');
    await h.feed.publish(location('r1', 2));
    await h.feed.publish(location('r2', 3)); // never subscribed
    await sleep(100);
    expect(c.frames.filter((f) => f.type === 'rider.location')).toHaveLength(1);
  });

  it('delivers updates of every frame length intact and in order, between its own replies', async () => {
    const h = await start();
    const c = await client(h.url);
    await c.subscribe('map');
    const sizes = [10, 200, 70_000, 3, 66_000];
    for (const [n, size] of sizes.entries())
      await h.feed.publish({ channel: 'map', type: 'rider.updated', data: { n, pad: 'é'.repeat(size) }, at: 'now' });
    await c.subscribe('rider:r1');
    const updates = c.frames.filter((f) => f.type === 'rider.updated');
    expect(updates.map((f) => (f.data as { n: number; pad: string }).pad.length)).toEqual(sizes);
    expect(c.frames.at(-1)).toEqual({ type: 'subscribed', channel: 'rider:r1' });
  });

  it('answers errors for bad frames, unknown types and channels, and caps subscriptions', async () => {
    const h = await start({ maxSubscriptionsPerClient: 2 });
    const c = await client(h.url);
    c.send('not json');
    await c.waitFor((f) => f.type === 'error' && /JSON/.test(f.message ?? ''));
    c.send({ type: 'shout', channel: 'map' });
    await c.waitFor((f) => f.type === 'error' && /unknown type/.test(f.message ?? ''));
    c.send({ type: 'subscribe', channel: 'store:1' });
    await c.waitFor((f) => f.type === 'error' && f.channel === 'store:1');
    await c.subscribe('map');
    await c.subscribe('rider:a');
    c.send({ type: 'subscribe', channel: 'rider:b' });
    await c.waitFor((f) => f.type === 'error' && f.channel === 'rider:b' && /at most 2/.test(f.message ?? ''));
  });

  it('refuses upgrades on other paths', async () => {
    const h = await start();
    const socket = new WebSocket(h.url.replace('/ws', '/other'));
    const error = await new Promise<Error>((resolve) => socket.once('error', resolve));
    expect(error.message).toMatch(/404/);
  });

  it('relays the rider’s positions on an order channel while the order is assigned or picked up', async () => {
    const h = await start({ orderRider: async (orderId) => (orderId === 'o1' ? 'r1' : null) });
    const c = await client(h.url);
    await c.subscribe('order:o1');
    // Seeded from the lookup: r1 carries o1.
    await h.feed.publish(location('r1', 1));
    const relayed = await c.waitFor((f) => f.type === 'rider.location');
    expect(relayed.channel).toBe('order:o1');
    expect((relayed.data as { riderId: string }).riderId).toBe('r1');

    // Reassigned to r2 by an order.updated on the order's channel.
    await h.feed.publish({
      channel: 'order:o1',
      type: 'order.updated',
      data: { orderId: 'o1', status: 'assigned', riderId: 'r2' },
      at: new Date().toISOString(),
    });
    await c.waitFor((f) => f.type === 'order.updated');
    await h.feed.publish(location('r1', 2));
    await h.feed.publish(location('r2', 3));
    await c.waitFor((f) => f.type === 'rider.location' && (f.data as { riderId: string }).riderId === 'r2');
    expect(
      c.frames.filter((f) => f.type === 'rider.location' && (f.data as { riderId: string }).riderId === 'r1'),
    ).toHaveLength(1);

    // Delivered: no more positions.
    await h.feed.publish({
      channel: 'order:o1',
      type: 'order.updated',
      data: { orderId: 'o1', status: 'delivered', riderId: 'r2' },
      at: new Date().toISOString(),
    });
    await c.waitFor((f) => f.type === 'order.updated' && (f.data as { status: string }).status === 'delivered');
    await h.feed.publish(location('r2', 4));
    await sleep(100);
    expect(c.frames.filter((f) => f.type === 'rider.location')).toHaveLength(2);
  });

  it('cleans up on disconnect: the feed subscription goes when the last client leaves', async () => {
    const h = await start();
    const seen: string[] = [];
    const a = await client(h.url);
    const b = await client(h.url);
    await a.subscribe('rider:r9');
    await b.subscribe('rider:r9');
    expect(h.hub.clientCount).toBe(2);
    await a.close();
    await waitFor(() => h.hub.clientCount === 1, { timeoutMs: 5_000, what: 'the hub to drop the first client' });
    await h.feed.publish(location('r9', 1));
    await b.waitFor((f) => f.type === 'rider.location');
    await b.close();
    await waitFor(() => h.hub.clientCount === 0, { timeoutMs: 5_000, what: 'the hub to drop the last client' });
    // Nobody listens any more: a listener added now is the channel's only one.
    await h.feed.subscribe('rider:r9', (m) => seen.push(m.type));
    await h.feed.publish(location('r9', 2));
    await waitFor(() => seen.length > 0, { timeoutMs: 5_000, what: 'the new listener to get the frame' });
    expect(seen).toEqual(['rider.location']);
    expect(await metric(h.registry, 'ws_clients')).toBe(0);
  });

  it(
    'drops the oldest frames of a slow client and counts them in ws_dropped_messages_total',
    async () => {
      const h = await start({ maxQueue: 5, maxBufferedBytes: 1_024, drainIntervalMs: 5 });
      const slow = await client(h.url);
      const fast = await client(h.url);
      await slow.subscribe('map');
      await fast.subscribe('map');
      // The slow client stops reading: the kernel buffers fill, then the server socket's bufferedAmount grows.
      (slow.socket as unknown as { _socket: { pause(): void } })._socket.pause();
      const padding = 'x'.repeat(16 * 1024);
      const total = 2_000; // 32 MB: far beyond loopback socket buffers
      // In chunks of 32 frames (512 KB, well within a loopback socket's buffer), each published once the fast client has
      // read the previous one: the fast client never falls behind, however busy the machine, while the paused one does.
      const chunk = 32;
      for (let n = 0; n < total; n++) {
        await h.feed.publish({
          channel: 'map',
          type: 'rider.location',
          data: { n, padding },
          at: new Date().toISOString(),
        });
        if (n % chunk === chunk - 1) await fast.waitFor((f) => (f.data as { n?: number } | undefined)?.n === n, 20_000);
      }
      await fast.waitFor((f) => (f.data as { n?: number } | undefined)?.n === total - 1, 20_000);
      const dropped = await metric(h.registry, 'ws_dropped_messages_total');
      expect(dropped).toBeGreaterThan(0);
      // The fast client lost nothing.
      expect(fast.frames.filter((f) => f.type === 'rider.location')).toHaveLength(total);

      // Once the slow client reads again it gets what was kept: ending with the newest frames, oldest ones missing.
      (slow.socket as unknown as { _socket: { resume(): void } })._socket.resume();
      await slow.waitFor((f) => (f.data as { n?: number } | undefined)?.n === total - 1, 20_000);
      const ns = slow.frames.filter((f) => f.type === 'rider.location').map((f) => (f.data as { n: number }).n);
      expect(ns.length).toBe(total - dropped);
      expect(ns).toEqual([...ns].sort((x, y) => x - y)); // order kept
    },
    scaledMs(60_000),
  );

  it('terminates a client that stops answering pings; a live one stays', async () => {
    // The period is generous so that a live client's pong is never late on a loaded machine; what is checked is
    // that the dead one goes and the live one outlives several heartbeats.
    const h = await start({ heartbeatMs: 400 });
    const dead = await client(h.url, { autoPong: false });
    const live = await client(h.url);
    let livePings = 0;
    live.socket.on('ping', () => livePings++);
    await dead.subscribe('map');
    const closed = new Promise<number>((resolve) => dead.socket.once('close', (code) => resolve(code)));
    expect(await closed).toBe(1006); // terminated, no closing handshake
    const seenAtClose = livePings;
    await waitFor(() => livePings >= seenAtClose + 3, {
      timeoutMs: 10_000,
      what: 'three more heartbeats to the live client',
    });
    expect(live.socket.readyState).toBe(WebSocket.OPEN);
    expect(h.hub.clientCount).toBe(1);
  });

  it('pings every client when a heartbeat is spread over several turns (heartbeatSlice)', async () => {
    // 31 clients, two per turn: a tick (40 ms) has ~3 pings due, sent over two turns; every live client is pinged each
    // round and the dead one, in the middle of the list, still goes.
    const h = await start({ heartbeatMs: 400, heartbeatSlice: 2 });
    // Which turn of the event loop each server-side ping is sent in: a bump scheduled by the first ping of a turn runs
    // before the hub's next slice (both setImmediate, in order).
    let turn = 0;
    let bumping = false;
    const perTurn = new Map<number, number>();
    const ping = WebSocket.prototype.ping;
    const spy = vi.spyOn(WebSocket.prototype, 'ping').mockImplementation(function (this: WebSocket, ...args) {
      perTurn.set(turn, (perTurn.get(turn) ?? 0) + 1);
      if (!bumping) {
        bumping = true;
        setImmediate(() => {
          turn++;
          bumping = false;
        });
      }
      return ping.apply(this, args);
    });
    open.push(async () => spy.mockRestore());
    const live: HubTestClient[] = [];
    for (let i = 0; i < 15; i++) live.push(await client(h.url));
    const dead = await client(h.url, { autoPong: false });
    for (let i = 0; i < 15; i++) live.push(await client(h.url));
    const pings = live.map(() => 0);
    live.forEach((c, i) => {
      c.socket.on('ping', () => pings[i]!++);
    });
    const closed = new Promise<number>((resolve) => dead.socket.once('close', (code) => resolve(code)));
    expect(await closed).toBe(1006);
    await waitFor(() => pings.every((n) => n >= 3), {
      timeoutMs: 10_000,
      what: 'three heartbeats to every live client',
    });
    expect(live.every((c) => c.socket.readyState === WebSocket.OPEN)).toBe(true);
    expect(h.hub.clientCount).toBe(live.length);
    expect(Math.max(...perTurn.values())).toBe(2);
  });

  it('spreads the pings of a heartbeat over its period instead of pinging every client at once', async () => {
    const period = 2_000;
    const n = 20;
    const h = await start({ heartbeatMs: period });
    const sentAt: number[] = [];
    const ping = WebSocket.prototype.ping;
    const spy = vi.spyOn(WebSocket.prototype, 'ping').mockImplementation(function (this: WebSocket, ...args) {
      sentAt.push(performance.now());
      return ping.apply(this, args);
    });
    open.push(async () => spy.mockRestore());
    const pings: number[] = [];
    for (let i = 0; i < n; i++) {
      const c = await client(h.url);
      pings.push(0);
      c.socket.on('ping', () => pings[i]!++);
    }
    await waitFor(() => pings.every((k) => k >= 2), {
      timeoutMs: 4 * period + 10_000,
      what: 'two heartbeats to every client',
    });
    // Evenly spread, a quarter of the period carries a quarter of the clients' pings (5); the old beat sent all 20 in
    // one turn. Half leaves room for a tick held up by a loaded machine.
    const window = period / 4;
    const most = Math.max(...sentAt.map((t) => sentAt.filter((u) => u >= t && u < t + window).length));
    expect(most).toBeLessThanOrEqual(n / 2);
  });

  it('pings a client that connects mid-round, and terminates a silent one only after it was pinged', async () => {
    const h = await start({ heartbeatMs: 1_000 });
    let earlyPings = 0;
    for (let i = 0; i < 5; i++) {
      const c = await client(h.url);
      c.socket.on('ping', () => earlyPings++);
    }
    await waitFor(() => earlyPings >= 7, { timeoutMs: 10_000, what: 'the second round to be under way' });
    const late = await client(h.url);
    let latePings = 0;
    late.socket.on('ping', () => latePings++);
    const silent = await client(h.url, { autoPong: false });
    let silentPings = 0;
    silent.socket.on('ping', () => silentPings++);
    const closed = new Promise<number>((resolve) => silent.socket.once('close', (code) => resolve(code)));
    expect(await closed).toBe(1006);
    expect(silentPings).toBeGreaterThanOrEqual(1);
    await waitFor(() => latePings >= 3, { timeoutMs: 10_000, what: 'three heartbeats to the late client' });
    expect(late.socket.readyState).toBe(WebSocket.OPEN);
    expect(h.hub.clientCount).toBe(6);
  });
});
