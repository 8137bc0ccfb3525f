import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';
import { describe, expect, it } from 'vitest';
import { scaledMs } from '../../tests/support/time-scale.ts';
import { closeServer } from './close-server.ts';

async function listen(app: Hono): Promise<{ server: ServerType; base: string }> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) =>
      resolve({ server, base: `http://127.0.0.1:${info.port}` }),
    );
  });
}

/** A promise with its resolve function, for handlers that tell the test they started or wait to be released. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

/** Resolves with `'timeout'` if `promise` has not settled within `ms`. */
const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms).unref())]);

describe('closeServer', () => {
  it('lets an in-flight request finish, refuses new ones, and does not wait for idle keep-alive sockets', async () => {
    const entered = gate();
    const release = gate();
    const app = new Hono();
    app.get('/slow', async (c) => {
      entered.open();
      await release.promise;
      return c.text('done');
    });
    app.get('/fast', (c) => c.text('fast'));
    const { server, base } = await listen(app);
    // Both sides keep idle connections for a minute: if closing waited for them, it would take that long.
    (server as Server).keepAliveTimeout = 60_000;
    const client = new Agent({ keepAliveTimeout: 60_000, keepAliveMaxTimeout: 60_000 });
    try {
      await (await undiciFetch(`${base}/fast`, { dispatcher: client })).text(); // an idle keep-alive connection
      const inFlight = undiciFetch(`${base}/slow`, { dispatcher: client }).then(async (r) => [
        r.status,
        await r.text(),
      ]);
      await entered.promise;
      const closing = closeServer(server);
      release.open();
      expect(await inFlight).toEqual([200, 'done']);
      expect(await within(closing, scaledMs(10_000))).not.toBe('timeout');
      await expect(fetch(`${base}/fast`)).rejects.toThrow();
    } finally {
      await client.close();
    }
  });

  it('cuts connections still open after the grace period', async () => {
    const entered = gate();
    const app = new Hono();
    app.get('/hang', () => {
      entered.open();
      return new Promise<Response>(() => {});
    });
    const { server, base } = await listen(app);
    const hanging = fetch(`${base}/hang`).catch((e: unknown) => e);
    await entered.promise;
    expect(await within(closeServer(server, 200), scaledMs(10_000))).not.toBe('timeout');
    expect(await hanging).toBeInstanceOf(Error);
  });
});
