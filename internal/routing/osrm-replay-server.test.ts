import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalOsrmPath, loadRecordings, startOsrmReplayServer, type ReplayServer } from './osrm-replay-server.ts';

describe('canonicalOsrmPath', () => {
  it('ignores parameter order and parameters set to OSRM defaults, nothing else', () => {
    expect(canonicalOsrmPath('/route/v1/driving/1,2;3,4?overview=full&geometries=geojson&steps=false')).toBe(
      canonicalOsrmPath('/route/v1/driving/1,2;3,4?geometries=geojson&overview=full'),
    );
    expect(canonicalOsrmPath('/route/v1/driving/1,2;3,4?steps=true')).not.toBe(
      canonicalOsrmPath('/route/v1/driving/1,2;3,4'),
    );
    expect(canonicalOsrmPath('/nearest/v1/driving/1,2')).toBe('/nearest/v1/driving/1,2');
    // Coordinates compare as OSRM parses them: trailing zeros do not matter, other digits do.
    expect(canonicalOsrmPath('/route/v1/driving/7.4246,43.7384;7.4380,43.7250?overview=false')).toBe(
      canonicalOsrmPath('/route/v1/driving/7.4246,43.7384;7.438,43.725?overview=false'),
    );
    expect(canonicalOsrmPath('/route/v1/driving/7.438,43.725')).not.toBe(
      canonicalOsrmPath('/route/v1/driving/7.4381,43.725'),
    );
    expect(canonicalOsrmPath('/route/v1/driving/abc;def')).toBe('/route/v1/driving/abc;def');
  });
});

describe('OSRM replay server', () => {
  let server: ReplayServer;
  beforeAll(async () => {
    server = await startOsrmReplayServer();
  });
  afterAll(() => server.close());

  it('answers every recording with its recorded status and body', async () => {
    const recordings = await loadRecordings();
    expect(recordings.length).toBeGreaterThanOrEqual(18);
    for (const r of recordings) {
      const res = await request(server.url + r.request.path);
      expect(res.statusCode, r.name).toBe(r.response.status);
      expect(await res.body.json(), r.name).toEqual(r.response.body);
    }
  });

  it('answers an unrecorded request with 404 ReplayMiss and lists it', async () => {
    const res = await request(`${server.url}/route/v1/driving/0,0;1,1`);
    expect(res.statusCode).toBe(404);
    expect(await res.body.json()).toMatchObject({ code: 'ReplayMiss' });
    expect(server.misses).toContain('/route/v1/driving/0,0;1,1');
  });

  it('applies injected faults once each, in order', async () => {
    const path = `${server.url}/nearest/v1/driving/7.4276,43.7394?number=1`;
    server.injectFaults({ kind: 'status', status: 502 }, { kind: 'reset' });
    const first = await request(path);
    expect(first.statusCode).toBe(502);
    await first.body.text();
    await expect(request(path)).rejects.toThrow();
    const third = await request(path);
    expect(third.statusCode).toBe(200);
    await third.body.text();
  });

  it('fails loudly when the recordings are missing', async () => {
    await expect(startOsrmReplayServer({ dir: '/nonexistent/osrm' })).rejects.toThrow(
      /recorded OSRM responses not found/,
    );
  });
});
