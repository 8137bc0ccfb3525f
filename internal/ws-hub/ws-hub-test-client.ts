/** A small WebSocket test client for the hub's tests and benchmarks: collects frames, waits for matching ones. */
import { WebSocket, type ClientOptions } from 'ws';
import { scaledMs } from '../../tests/support/time-scale.ts';

export interface HubFrame {
  type: string;
  channel?: string;
  data?: unknown;
  at?: string;
  message?: string;
}

export class HubTestClient {
  readonly frames: HubFrame[] = [];
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.frames.push(JSON.parse(data.toString()) as HubFrame);
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w();
    });
  }

  static async connect(url: string, options: ClientOptions = {}): Promise<HubTestClient> {
    const socket = new WebSocket(url, options);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new HubTestClient(socket);
  }

  send(body: unknown): void {
    this.socket.send(typeof body === 'string' ? body : JSON.stringify(body));
  }

  async subscribe(channel: string): Promise<void> {
    this.send({ type: 'subscribe', channel });
    await this.waitFor((f) => f.type === 'subscribed' && f.channel === channel);
  }

  async unsubscribe(channel: string): Promise<void> {
    this.send({ type: 'unsubscribe', channel });
    await this.waitFor((f) => f.type === 'unsubscribed' && f.channel === channel);
  }

  /** The first frame (already received or coming) matching `match`. */
  /** The first frame that matches; `budgetMs` is scaled by TEST_TIME_SCALE. */
  async waitFor(match: (frame: HubFrame) => boolean, budgetMs = 5_000): Promise<HubFrame> {
    const timeoutMs = scaledMs(budgetMs);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames.slice(-5))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    const closed = new Promise<void>((resolve) => this.socket.once('close', () => resolve()));
    this.socket.close();
    await closed;
  }
}
