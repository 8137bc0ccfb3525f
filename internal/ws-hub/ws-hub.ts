import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { Counter, Gauge, type Registry } from 'prom-client';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { AUTH_ERROR_CODES } from '../auth/auth-errors.ts';
import { maySubscribe } from '../auth/policy.ts';
import { describePrincipal, OPERATOR, type Principal } from '../auth/principal.ts';
import type { PrincipalResolver } from '../auth/principal-resolver.ts';
import { bearerTokenOf } from '../auth/token.ts';
import { channels, type LiveFeed, type LiveMessage, type Unsubscribe } from '../livefeed/live-feed.ts';
import { silentLogger, type Logger } from '../platform/logger.ts';
import { parseChannel } from './channel-name.ts';

/**
 * The WebSocket hub: clients connect to `/ws` on any API instance and subscribe to live channels; the hub subscribes
 * the live feed (Redis pub/sub across instances) for exactly the channels its clients watch and forwards each message
 * frame as published — serialised once, sent to every local subscriber.
 *
 * Protocol (JSON text frames):
 *   client → `{"type":"subscribe","channel":"map"}`, `{"type":"unsubscribe","channel":"order:…"}`
 *   server → `{"type":"subscribed","channel":…}`, `{"type":"unsubscribed","channel":…}`,
 *            `{"type":"error","message":…,"channel"?:…,"code"?:…}` (bad JSON, unknown type or channel, too many
 *            subscriptions; `code` `auth.forbidden` for a channel outside the token's scope),
 *            and updates `{"channel":…,"type":"rider.location|order.updated|batch.updated|rider.updated","data":{…},"at":"<iso>"}`.
 * Channels: `order:{id}` (the order's updates, plus its rider's `rider.location` while the order is assigned or
 * picked up), `rider:{id}`, `batch:{id}`, `map` (everything) and `map:{H3 res-5 cell}` (rider positions in that cell).
 *
 * Order → rider: when the first local client subscribes to `order:X`, the hub asks `orderRider(X)` for the current
 * rider, then follows `order.updated` on that channel (status `assigned`/`picked_up` with a `riderId` maps the order to
 * it; any other status unmaps it) and relays the rider's `rider.location` frames, re-labelled `order:X`.
 *
 * Authentication: the upgrade request carries a bearer token, `/ws?token=…` or `Authorization: Bearer …`; none or one
 * that grants nothing is refused with HTTP 401 before the upgrade. Each subscription is checked against the token's
 * scope (internal/auth/policy.ts `maySubscribe`): an operator any channel, a rider token `rider:{own}`, an order read
 * token `order:{own}`. Without `auth` (the hub's own tests) every client counts as an operator.
 *
 * Slow clients: when a socket's `bufferedAmount` exceeds `maxBufferedBytes`, frames wait in a bounded per-client queue
 * (`maxQueue`); when it is full the OLDEST frame is dropped (a newer position supersedes an older one) and
 * `ws_dropped_messages_total` counts it.
 *
 * Heartbeats: every client is pinged once per round of `heartbeatMs`, and the round is spread evenly over the period — a
 * short tick (`heartbeatMs`/10, at most 100 ms) pings the share of the round that is due by the clock (round start +
 * elapsed/heartbeatMs × round size), at most `heartbeatSlice` per turn of the event loop. With 10 000 clients and
 * 15 s that is ~67 pings per 100 ms instead of a burst of 10 000 every 15 s, which (even sliced 256 per turn) held
 * per-rider frames back by 100–480 ms once per period (bench/results/ws-fanout.md). A client that has not answered its
 * previous ping when its turn comes again is terminated (unless that ping is less than half a period old: departures
 * move clients forward in the next round). A client that connects mid-round is appended to the round's end; its first
 * turn only pings it. Disconnect releases the client's subscriptions (and feed subscriptions nobody needs).
 */
export interface WsHubOptions {
  feed: LiveFeed;
  registry?: Registry;
  logger?: Logger;
  /** Resolves the rider currently carrying an order (assigned / picked up), or null. */
  orderRider?: (orderId: string) => Promise<string | null>;
  path?: string;
  /** Every client is pinged once per this period, the pings spread evenly over it. Default 15 000 ms. */
  heartbeatMs?: number;
  /** Frames queued per slow client before the oldest is dropped. Default 1 000. */
  maxQueue?: number;
  /** Socket buffer above which a client counts as slow. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** Default 100. */
  maxSubscriptionsPerClient?: number;
  /** How often queued frames of slow clients are retried. Default 20 ms. */
  drainIntervalMs?: number;
  /**
   * At most this many clients are pinged per turn of the event loop (when a tick is behind, e.g. after a stall, the
   * rest follow on the next turns). Default 256: pinging 10 000 clients at once held every update behind it for ~300 ms
   * (bench/results/ws-fanout.md).
   */
  heartbeatSlice?: number;
  /** Resolves the upgrade's bearer token (the API's cached resolver). Without it nobody is authenticated. */
  auth?: PrincipalResolver;
}

interface Client {
  socket: WebSocket;
  /** Who connected: decides which channels it may subscribe to. */
  principal: Principal;
  channels: Set<string>;
  queue: Frame[];
  alive: boolean;
  /** When the hub last pinged it (performance.now()); 0 = never. */
  pingedAt: number;
}

/** A text frame: encoded to bytes once per update, however many clients it goes to. */
type Frame = Buffer | string;

/** Statuses during which an order's customer sees its rider move. */
const RIDING = new Set(['assigned', 'picked_up']);

export class WsHub {
  private readonly wss: WebSocketServer;
  private readonly feed: LiveFeed;
  private readonly log: Logger;
  private readonly path: string;
  private readonly maxQueue: number;
  private readonly maxBuffered: number;
  private readonly maxSubs: number;
  private readonly clients = new Set<Client>();
  /** Local subscribers per channel. */
  private readonly subscribers = new Map<string, Set<Client>>();
  /** Feed subscriptions with their reference count (client channels + the hub's own rider follow-ups). */
  private readonly feedSubs = new Map<string, { refs: number; ready: Promise<Unsubscribe | undefined> }>();
  private readonly orderToRider = new Map<string, string>();
  private readonly riderToOrders = new Map<string, Set<string>>();
  private readonly backlogged = new Set<Client>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly heartbeatMs: number;
  /** The heartbeat round under way: the clients in ping order, the next one's index, when the round began. */
  private round: Client[] = [];
  private roundNext = 0;
  private roundStart = 0;
  /** A heartbeat slice is scheduled (setImmediate) or running. */
  private pinging = false;
  private readonly drainTimer: NodeJS.Timeout;
  private readonly orderRider: ((orderId: string) => Promise<string | null>) | undefined;
  private readonly metrics: { dropped: Counter; clients: Gauge; sent: Counter };
  private readonly servers = new Set<Server>();
  private readonly auth: PrincipalResolver | undefined;
  private readonly heartbeatSlice: number;
  private closed = false;

  constructor(options: WsHubOptions) {
    this.feed = options.feed;
    this.log = (options.logger ?? silentLogger).child({ component: 'ws-hub' });
    this.path = options.path ?? '/ws';
    this.maxQueue = options.maxQueue ?? 1_000;
    this.maxBuffered = options.maxBufferedBytes ?? 1 << 20;
    this.maxSubs = options.maxSubscriptionsPerClient ?? 100;
    this.orderRider = options.orderRider;
    this.auth = options.auth;
    this.heartbeatSlice = Math.max(1, options.heartbeatSlice ?? 256);
    this.metrics = hubMetrics(options.registry, () => this.clients.size);
    this.wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024, perMessageDeflate: false });
    this.heartbeatMs = Math.max(1, options.heartbeatMs ?? 15_000);
    this.roundStart = performance.now();
    this.heartbeat = setInterval(() => this.beat(), Math.max(1, Math.min(100, Math.floor(this.heartbeatMs / 10))));
    this.heartbeat.unref();
    this.drainTimer = setInterval(() => this.drainBacklog(), options.drainIntervalMs ?? 20);
    this.drainTimer.unref();
  }

  /** Serves WebSocket upgrades on `path` of `server`; other upgrade requests are refused with 404. */
  attach(server: Server): void {
    this.servers.add(server);
    server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = (request.url ?? '').split('?')[0];
      if (this.closed || path !== this.path) {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      // A client that hangs up while its token is looked up must not crash the process.
      socket.on('error', () => socket.destroy());
      this.authenticate(request).then(
        (principal) => {
          if (typeof principal === 'string') {
            refuseUpgrade(socket, principal);
            return;
          }
          if (this.closed || socket.destroyed) {
            socket.destroy();
            return;
          }
          this.wss.handleUpgrade(request, socket, head, (ws) => this.onConnection(ws, principal));
        },
        (error: unknown) => {
          this.log.warn({ err: error }, 'websocket upgrade: token lookup failed');
          socket.end(
            'HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\nConnection: close\r\nContent-Length: 0\r\n\r\n',
          );
        },
      );
    });
  }

  /** The upgrade's principal, or the 401 slug refusing it. */
  private async authenticate(request: IncomingMessage): Promise<Principal | string> {
    if (!this.auth) return OPERATOR;
    const query = new URL(request.url ?? '/', 'http://hub').searchParams.get('token');
    const token = query !== null && query !== '' ? query : bearerTokenOf(request.headers.authorization);
    if (token === undefined) return AUTH_ERROR_CODES.missingToken;
    const principal = token === null ? null : await this.auth.resolve(token);
    return principal ?? AUTH_ERROR_CODES.invalidToken;
  }

  /** Connected clients (for tests and metrics). */
  get clientCount(): number {
    return this.clients.size;
  }

  /** Closes every client (1001 going away) and the feed subscriptions. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    clearInterval(this.drainTimer);
    for (const client of this.clients) client.socket.close(1001, 'server shutting down');
    // Sockets that do not finish the closing handshake quickly are cut.
    const deadline = Date.now() + 1_000;
    while (this.clients.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const client of this.clients) client.socket.terminate();
    const subs = [...this.feedSubs.values()];
    this.feedSubs.clear();
    await Promise.allSettled(subs.map(async (s) => (await s.ready)?.()));
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  // ------------------------------------------------------------------------------------------------------ clients

  private onConnection(socket: WebSocket, principal: Principal): void {
    const client: Client = { socket, principal, channels: new Set(), queue: [], alive: true, pingedAt: 0 };
    this.clients.add(client);
    this.round.push(client); // pinged at the end of the round under way
    socket.on('pong', () => (client.alive = true));
    socket.on('message', (data: RawData, isBinary: boolean) => this.onClientMessage(client, data, isBinary));
    socket.on('error', (error) => this.log.debug({ err: error }, 'websocket error'));
    socket.on('close', () => this.onClose(client));
  }

  private onClose(client: Client): void {
    if (!this.clients.delete(client)) return;
    this.backlogged.delete(client);
    client.queue = [];
    for (const channel of client.channels) this.removeSubscriber(client, channel);
    client.channels.clear();
  }

  private onClientMessage(client: Client, data: RawData, isBinary: boolean): void {
    let request: { type?: unknown; channel?: unknown };
    try {
      if (isBinary) throw new Error('binary frame');
      request = JSON.parse(data.toString()) as typeof request;
      if (typeof request !== 'object' || request === null) throw new Error('not an object');
    } catch {
      this.reply(client, {
        type: 'error',
        message: 'frames must be JSON objects: {"type":"subscribe"|"unsubscribe","channel":"…"}',
      });
      return;
    }
    const channel = request.channel;
    if (request.type !== 'subscribe' && request.type !== 'unsubscribe') {
      this.reply(client, {
        type: 'error',
        message: `unknown type ${JSON.stringify(request.type)}; use subscribe or unsubscribe`,
      });
      return;
    }
    if (typeof channel !== 'string' || !parseChannel(channel)) {
      this.reply(client, {
        type: 'error',
        message: 'channel must be order:{id}, rider:{id}, batch:{id}, map or map:{H3 resolution-5 cell}',
        ...(typeof channel === 'string' ? { channel } : {}),
      });
      return;
    }
    if (request.type === 'subscribe' && !maySubscribe(client.principal, parseChannel(channel)!)) {
      this.reply(client, {
        type: 'error',
        code: AUTH_ERROR_CODES.forbidden,
        message: `${describePrincipal(client.principal)} may not subscribe to ${channel}`,
        channel,
      });
      return;
    }
    if (request.type === 'subscribe') void this.subscribe(client, channel);
    else void this.unsubscribe(client, channel);
  }

  private async subscribe(client: Client, channel: string): Promise<void> {
    if (!client.channels.has(channel)) {
      if (client.channels.size >= this.maxSubs) {
        this.reply(client, { type: 'error', message: `at most ${this.maxSubs} subscriptions per connection`, channel });
        return;
      }
      client.channels.add(channel);
      let set = this.subscribers.get(channel);
      const first = !set;
      if (!set) {
        set = new Set();
        this.subscribers.set(channel, set);
      }
      set.add(client);
      try {
        await this.retainFeed(channel);
        if (first) await this.startFollowing(channel);
      } catch (error) {
        this.log.warn({ err: error, channel }, 'live feed subscribe failed');
        this.removeSubscriber(client, channel);
        client.channels.delete(channel);
        this.reply(client, { type: 'error', message: 'subscription failed, try again', channel });
        return;
      }
    }
    this.reply(client, { type: 'subscribed', channel });
  }

  private async unsubscribe(client: Client, channel: string): Promise<void> {
    if (client.channels.delete(channel)) this.removeSubscriber(client, channel);
    this.reply(client, { type: 'unsubscribed', channel });
  }

  private removeSubscriber(client: Client, channel: string): void {
    const set = this.subscribers.get(channel);
    if (!set?.delete(client)) return;
    this.releaseFeed(channel);
    if (set.size === 0) {
      this.subscribers.delete(channel);
      this.stopFollowing(channel);
    }
  }

  // --------------------------------------------------------------------------------------------- order → rider

  /** For `order:X`, starts relaying the positions of the order's current rider. */
  private async startFollowing(channel: string): Promise<void> {
    const parsed = parseChannel(channel);
    if (parsed?.kind !== 'order' || !this.orderRider) return;
    const riderId = await this.orderRider(parsed.id).catch((error: unknown) => {
      this.log.warn({ err: error, orderId: parsed.id }, 'order → rider lookup failed; following order.updated only');
      return null;
    });
    // An order.updated may have arrived (and mapped the order) while we looked it up: it is newer, keep it.
    if (riderId && this.subscribers.has(channel) && !this.orderToRider.has(parsed.id))
      this.mapOrder(parsed.id, riderId);
  }

  private stopFollowing(channel: string): void {
    const parsed = parseChannel(channel);
    if (parsed?.kind === 'order') this.unmapOrder(parsed.id);
  }

  private mapOrder(orderId: string, riderId: string): void {
    if (this.orderToRider.get(orderId) === riderId) return;
    this.unmapOrder(orderId);
    this.orderToRider.set(orderId, riderId);
    let orders = this.riderToOrders.get(riderId);
    if (!orders) {
      orders = new Set();
      this.riderToOrders.set(riderId, orders);
    }
    orders.add(orderId);
    void this.retainFeed(channels.rider(riderId)).catch((error: unknown) =>
      this.log.warn({ err: error, riderId }, 'cannot follow rider'),
    );
  }

  private unmapOrder(orderId: string): void {
    const riderId = this.orderToRider.get(orderId);
    if (riderId === undefined) return;
    this.orderToRider.delete(orderId);
    const orders = this.riderToOrders.get(riderId);
    orders?.delete(orderId);
    if (orders?.size === 0) this.riderToOrders.delete(riderId);
    this.releaseFeed(channels.rider(riderId));
  }

  // --------------------------------------------------------------------------------------------------- feed side

  private retainFeed(channel: string): Promise<unknown> {
    let sub = this.feedSubs.get(channel);
    if (sub) {
      sub.refs++;
    } else {
      const ready: Promise<Unsubscribe | undefined> = this.feed.subscribe(channel, (message, text) =>
        this.onFeedMessage(channel, message, text),
      );
      sub = { refs: 1, ready };
      this.feedSubs.set(channel, sub);
      ready.catch(() => {
        if (this.feedSubs.get(channel) === sub) this.feedSubs.delete(channel);
      });
    }
    return sub.ready;
  }

  private releaseFeed(channel: string): void {
    const sub = this.feedSubs.get(channel);
    if (!sub || --sub.refs > 0) return;
    this.feedSubs.delete(channel);
    void sub.ready.then((unsubscribe) => unsubscribe?.()).catch(() => undefined);
  }

  private onFeedMessage(channel: string, message: LiveMessage, text: string): void {
    const local = this.subscribers.get(channel);
    if (local) this.fanOut(local, text);

    if (message.type === 'order.updated' && channel.startsWith('order:')) {
      const data = message.data as { orderId?: string; riderId?: string | null; status?: string };
      const orderId = channel.slice('order:'.length);
      if (data.riderId && data.status && RIDING.has(data.status)) this.mapOrder(orderId, data.riderId);
      else if (data.status) this.unmapOrder(orderId);
    } else if (message.type === 'rider.location' && channel.startsWith('rider:')) {
      const orders = this.riderToOrders.get(channel.slice('rider:'.length));
      if (orders) {
        for (const orderId of orders) {
          const orderChannel = channels.order(orderId);
          const subs = this.subscribers.get(orderChannel);
          if (!subs) continue;
          this.fanOut(subs, JSON.stringify({ ...message, channel: orderChannel }));
        }
      }
    }
  }

  // -------------------------------------------------------------------------------------------------- delivery

  private reply(client: Client, body: Record<string, unknown>): void {
    if (this.deliver(client, JSON.stringify(body))) this.metrics.sent.inc();
  }

  /** One update to many clients: encoded once, counted once. */
  private fanOut(clients: Iterable<Client>, text: string): void {
    const frame = Buffer.from(text);
    let sent = 0;
    for (const client of clients) if (this.deliver(client, frame)) sent++;
    if (sent > 0) this.metrics.sent.inc(sent);
  }

  /** Sends now when the socket keeps up (answers true), else queues (bounded, dropping the oldest). */
  private deliver(client: Client, frame: Frame): boolean {
    const socket = client.socket;
    if (socket.readyState !== WebSocket.OPEN) return false;
    if (client.queue.length === 0 && socket.bufferedAmount <= this.maxBuffered) {
      socket.send(frame, { binary: false });
      return true;
    }
    client.queue.push(frame);
    if (client.queue.length > this.maxQueue) {
      client.queue.shift();
      this.metrics.dropped.inc();
    }
    this.backlogged.add(client);
    return false;
  }

  private drainBacklog(): void {
    for (const client of this.backlogged) {
      const socket = client.socket;
      if (socket.readyState !== WebSocket.OPEN) {
        client.queue = [];
        this.backlogged.delete(client);
        continue;
      }
      let sent = 0;
      while (client.queue.length > 0 && socket.bufferedAmount <= this.maxBuffered) {
        socket.send(client.queue.shift()!, { binary: false });
        sent++;
      }
      if (sent > 0) this.metrics.sent.inc(sent);
      if (client.queue.length === 0) this.backlogged.delete(client);
    }
  }

  /**
   * A heartbeat tick: pings the clients of the round that are due by the clock, at most `heartbeatSlice` per turn of
   * the event loop (updates and requests are served in between); starts the next round once this one is done and its
   * period is over. A client that did not answer its previous ping is terminated when its turn comes.
   */
  private beat(): void {
    if (this.pinging || this.closed) return;
    this.pinging = true;
    this.pingDue();
  }

  private pingDue(): void {
    if (this.closed) return;
    const now = performance.now();
    if (this.roundNext >= this.round.length && now - this.roundStart >= this.heartbeatMs) {
      // The next round, in connection order; on time unless the loop was held up for more than a period.
      this.roundStart = now - this.roundStart >= 2 * this.heartbeatMs ? now : this.roundStart + this.heartbeatMs;
      this.round = [...this.clients];
      this.roundNext = 0;
    }
    const elapsed = Math.min(1, (now - this.roundStart) / this.heartbeatMs);
    const due = Math.min(this.round.length, Math.ceil(elapsed * this.round.length));
    const end = Math.min(due, this.roundNext + this.heartbeatSlice);
    for (; this.roundNext < end; this.roundNext++) {
      const client = this.round[this.roundNext]!;
      if (!this.clients.has(client)) continue; // gone since the round started
      if (!client.alive) {
        // Clients leaving move the others forward in the next round: a ping younger than half a period may still be
        // answered, its turn in the next round decides.
        if (now - client.pingedAt < this.heartbeatMs / 2) continue;
        this.log.debug('terminating a websocket that missed its heartbeat');
        client.socket.terminate();
        continue;
      }
      client.alive = false;
      client.pingedAt = now;
      try {
        client.socket.ping();
      } catch {
        client.socket.terminate();
      }
    }
    if (this.roundNext < due) setImmediate(() => this.pingDue());
    else this.pinging = false;
  }
}

/** Answers a refused upgrade with HTTP 401, its bearer challenge and the API's error body, and closes the socket. */
function refuseUpgrade(socket: Duplex, slug: string): void {
  const body = JSON.stringify({
    error: {
      code: slug,
      message:
        slug === AUTH_ERROR_CODES.missingToken
          ? 'connect to /ws?token=<token> or send Authorization: Bearer <token>'
          : 'the bearer token is malformed, unknown or revoked',
    },
  });
  const challenge =
    slug === AUTH_ERROR_CODES.invalidToken
      ? 'Bearer realm="deliverygo", error="invalid_token"'
      : 'Bearer realm="deliverygo"';
  socket.end(
    `HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: ${challenge}\r\nContent-Type: application/json\r\n` +
      `Connection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

const byRegistry = new WeakMap<
  Registry,
  { dropped: Counter; clients: Gauge; sent: Counter; hubs: Set<() => number> }
>();

/** One set of hub metrics per registry; the clients gauge sums every hub on it (tests run two per process). */
function hubMetrics(
  registry: Registry | undefined,
  count: () => number,
): { dropped: Counter; clients: Gauge; sent: Counter } {
  if (!registry) {
    return {
      dropped: new Counter({ name: 'ws_dropped_messages_total', help: 'x', registers: [] }),
      clients: new Gauge({ name: 'ws_clients', help: 'x', registers: [] }),
      sent: new Counter({ name: 'ws_sent_messages_total', help: 'x', registers: [] }),
    };
  }
  let m = byRegistry.get(registry);
  if (!m) {
    const hubs = new Set<() => number>();
    m = {
      hubs,
      dropped: new Counter({
        name: 'ws_dropped_messages_total',
        help: 'WebSocket frames dropped (oldest first) because a slow client’s queue was full.',
        registers: [registry],
      }),
      sent: new Counter({
        name: 'ws_sent_messages_total',
        help: 'WebSocket frames sent to clients.',
        registers: [registry],
      }),
      clients: new Gauge({
        name: 'ws_clients',
        help: 'Connected WebSocket clients.',
        registers: [registry],
        collect() {
          let n = 0;
          for (const c of hubs) n += c();
          this.set(n);
        },
      }),
    };
    byRegistry.set(registry, m);
  }
  m.hubs.add(count);
  return m;
}
