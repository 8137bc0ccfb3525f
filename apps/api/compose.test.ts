import { describe, expect, it } from 'vitest';
import { mintToken } from '../../internal/auth/token.ts';
import { loadConfig } from '../../internal/config/config.ts';
import { HubTestClient } from '../../internal/ws-hub/ws-hub-test-client.ts';
import { defaultDispatchParamSet } from '../../internal/config/dispatch-params.ts';
import { silentLogger } from '../../internal/platform/logger.ts';
import { composeApi } from './compose.ts';
import { scaledMs } from '../../tests/support/time-scale.ts';

describe('composition without any service URL', () => {
  it(
    'runs on the embedded adapters and says so on /health, with the dispatch parameter set',
    async () => {
      const api = await composeApi(loadConfig({}), silentLogger);
      try {
        const response = await api.app.request('/health');
        expect(response.status).toBe(200);
        const body = (await response.json()) as { checks: Record<string, { adapter: string; status: string }> };
        expect(body.checks.postgres).toMatchObject({ adapter: 'pglite', status: 'up' });
        expect(body.checks.redis).toMatchObject({ adapter: 'memory', status: 'up' });
        expect(body.checks.bus).toMatchObject({ adapter: 'memory', status: 'up' });
        expect(body.checks.router).toMatchObject({ adapter: 'straight-line', status: 'up' });
        expect((body as unknown as { dispatch_params: unknown }).dispatch_params).toEqual({
          name: 'defaults',
          source: 'built-in',
          hash: defaultDispatchParamSet().hash,
        });
      } finally {
        await api.cleanup();
      }
    },
    scaledMs(60_000),
  );
});

describe('composition with OPERATOR_KEY', () => {
  it(
    'registers the key at start; routes, the GPS ingest lane and the WebSocket upgrade all want a token',
    async () => {
      const key = mintToken('operator');
      const api = await composeApi(loadConfig({ OPERATOR_KEY: key, HTTP_ADDR: '127.0.0.1:0' }), silentLogger);
      try {
        const { port } = await api.start();
        const base = `http://127.0.0.1:${port}`;
        const auth = { authorization: `Bearer ${key}` };
        const json = { 'content-type': 'application/json' };
        expect((await fetch(`${base}/health`)).status).toBe(200);
        expect((await fetch(`${base}/stores`)).status).toBe(401);
        expect((await fetch(`${base}/stores`, { headers: auth })).status).toBe(200);

        const rider = (await (
          await fetch(`${base}/riders`, { method: 'POST', headers: { ...auth, ...json }, body: '{"name":"Ada"}' })
        ).json()) as { id: string; token: string };
        const ping = JSON.stringify({ lat: 43.7, lon: 7.42, recorded_at: new Date().toISOString() });
        const post = (id: string, headers: Record<string, string>) =>
          fetch(`${base}/riders/${id}/location`, { method: 'POST', headers: { ...json, ...headers }, body: ping });
        const none = await post(rider.id, {});
        expect(none.status).toBe(401);
        expect(none.headers.get('www-authenticate')).toBe('Bearer realm="deliverygo"');
        expect((await post(rider.id, { authorization: `Bearer ${rider.token}` })).status).toBe(202);
        const other = await post('00000000-0000-4000-8000-000000000001', { authorization: `Bearer ${rider.token}` });
        expect(other.status).toBe(403);

        await expect(HubTestClient.connect(`ws://127.0.0.1:${port}/ws`)).rejects.toThrow(/401/);
        const client = await HubTestClient.connect(`ws://127.0.0.1:${port}/ws?token=${rider.token}`);
        await client.subscribe(`rider:${rider.id}`);
        await client.close();
      } finally {
        await api.cleanup();
      }
    },
    scaledMs(60_000),
  );
});
