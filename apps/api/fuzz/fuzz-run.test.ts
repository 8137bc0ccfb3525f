import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headOverServerLimit } from './fuzz-run.ts';

describe('headOverServerLimit: the 431s the fuzzer accepts are the ones node:http gives', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((_req, res) => res.end('{}'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('is false for ordinary requests and true for a query string the server refuses', () => {
    expect(headOverServerLimit('POST', '/riders/r-1/location', { 'content-type': 'application/json' })).toBe(false);
    expect(headOverServerLimit('POST', `/riders/r-1/location?a=${'x'.repeat(20_000)}`, {})).toBe(true);
    expect(headOverServerLimit('POST', '/orders', { 'x-long': 'y'.repeat(20_000) })).toBe(true);
  });

  it('agrees with a real node:http server on both sides of its limit', async () => {
    for (const length of [1_000, 15_000, 15_800, 16_500, 30_000]) {
      const url = `/riders/r-1/location?a=${'x'.repeat(length)}`;
      const headers = { 'content-type': 'application/json' };
      const res = await fetch(`${base}${url}`, { method: 'POST', headers, body: '{}' });
      await res.arrayBuffer();
      // Every 431 the server gives is one the check foresees; a head it calls small is never refused.
      if (res.status === 431) expect(headOverServerLimit('POST', url, headers), `length ${length}`).toBe(true);
      if (!headOverServerLimit('POST', url, headers)) expect(res.status, `length ${length}`).toBe(200);
    }
  });
});
