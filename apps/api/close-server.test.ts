import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { closeServer } from './close-server.ts';

async function listen(app: Hono): Promise<{ server: ServerType; base: string }> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) =>
      resolve({ server, base: `http://127.0.0.1:${info.port}` }),
    );
  });
}

describe('closeServer', () => {
  it('lets an in-flight request finish, refuses new ones, and does not wait for idle keep-alive sockets', async () => {
    const app = new Hono();
    app.get('/slow', async (c) => {
      await new Promise((r) => setTimeout(r, 300));
      return c.text('done');
    });
    app.get('/fast', (c) => c.text('fast'));
    const { server, base } = await listen(app);

    await (await fetch(`${base}/fast`)).text(); // leaves an idle keep-alive connection behind
    const inFlight = fetch(`${base}/slow`).then(async (r) => [r.status, await r.text()]);
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await closeServer(server);
    expect(await inFlight).toEqual([200, 'done']);
    // ~250 ms of the slow request; the client's keep-alive timer (~4 s) must not be what ends it.
    expect(Date.now() - started).toBeLessThan(1_500);
    await expect(fetch(`${base}/fast`)).rejects.toThrow();
  });

  it('cuts connections still open after the grace period', async () => {
    const app = new Hono();
    app.get('/hang', () => new Promise<Response>(() => {}));
    const { server, base } = await listen(app);
    const hanging = fetch(`${base}/hang`).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await closeServer(server, 200);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await hanging).toBeInstanceOf(Error);
  });
});
