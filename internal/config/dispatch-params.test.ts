import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_DISPATCH_PARAMS, resolveDispatchParams } from '../dispatch/params.ts';
import { ConfigError, loadConfig } from './config.ts';
import {
  defaultDispatchParamSet,
  dispatchParamsHash,
  formatDispatchParamsFile,
  withDispatchOverrides,
} from './dispatch-params.ts';

const files = (texts: Record<string, string>) => (path: string) => {
  const text = texts[path];
  if (text === undefined) throw new Error(`ENOENT: no such file, open '${path}'`);
  return text;
};

function configError(env: Record<string, string>, read = files({})): string {
  try {
    loadConfig(env, read);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('dispatch parameters in the configuration', () => {
  it('are the tuned defaults when nothing is set, named "defaults" from "built-in"', () => {
    const { dispatch, h3Resolution } = loadConfig({});
    expect(dispatch.params).toEqual(DEFAULT_DISPATCH_PARAMS);
    expect(dispatch).toMatchObject({
      name: 'defaults',
      source: 'built-in',
      hash: dispatchParamsHash(DEFAULT_DISPATCH_PARAMS),
    });
    expect(h3Resolution).toBe(DEFAULT_DISPATCH_PARAMS.h3Resolution);
  });

  it('overlay a file, then inline DISPATCH_PARAMS, merging nested weights field by field', () => {
    const read = files({
      '/etc/dg/dispatch.json': JSON.stringify({
        name: 'rush-hour',
        params: { batchCapacity: 2, scoring: { distancePenaltyPerKm: 7 } },
      }),
    });
    const { dispatch } = loadConfig(
      {
        DISPATCH_PARAMS_FILE: '/etc/dg/dispatch.json',
        DISPATCH_PARAMS: '{"waitWindowSeconds":90,"scoring":{"floor":0}}',
      },
      read,
    );
    expect(dispatch.name).toBe('rush-hour+DISPATCH_PARAMS');
    expect(dispatch.source).toBe('/etc/dg/dispatch.json + DISPATCH_PARAMS');
    expect(dispatch.params.batchCapacity).toBe(2);
    expect(dispatch.params.waitWindowSeconds).toBe(90);
    expect(dispatch.params.scoring).toEqual({ ...DEFAULT_DISPATCH_PARAMS.scoring, distancePenaltyPerKm: 7, floor: 0 });
    expect(dispatch.params.scarceScoring).toEqual(DEFAULT_DISPATCH_PARAMS.scarceScoring);
    expect(dispatch.hash).toBe(dispatchParamsHash(dispatch.params));
    expect(dispatch.hash).not.toBe(defaultDispatchParamSet().hash);
  });

  it('name a file without a name after its base name, and H3_RESOLUTION overlays last', () => {
    const read = files({ '/x/night.json': '{"params":{}}' });
    expect(loadConfig({ DISPATCH_PARAMS_FILE: '/x/night.json' }, read).dispatch).toMatchObject({
      name: 'night',
      source: '/x/night.json',
    });
    const config = loadConfig({ DISPATCH_PARAMS_FILE: '/x/night.json', H3_RESOLUTION: '9' }, read);
    expect(config.h3Resolution).toBe(9);
    expect(config.dispatch.params.h3Resolution).toBe(9);
    expect(config.dispatch.name).toBe('night+H3_RESOLUTION');
  });

  it.each([
    [{ DISPATCH_PARAMS: '{"batchCapacity":0}' }, /DISPATCH_PARAMS: batchCapacity: .*>=\s*1/],
    [
      { DISPATCH_PARAMS: '{"scoring":{"latePenaltyPerMinute":"20"}}' },
      /DISPATCH_PARAMS: scoring\.latePenaltyPerMinute: .*expected number/,
    ],
    [{ DISPATCH_PARAMS: '{"waitWindowSecs":60}' }, /DISPATCH_PARAMS: .*waitWindowSecs/],
    [{ DISPATCH_PARAMS: '{"matching":"random"}' }, /DISPATCH_PARAMS: matching: /],
    [{ DISPATCH_PARAMS: '{"service":{"dropBeforeSeconds":-1}}' }, /DISPATCH_PARAMS: service\.dropBeforeSeconds: /],
    [{ DISPATCH_PARAMS: 'batchCapacity=2' }, /DISPATCH_PARAMS: not JSON/],
    [{ DISPATCH_PARAMS_FILE: '/missing.json' }, /DISPATCH_PARAMS_FILE \/missing\.json: cannot read/],
  ])('refuse %j naming the field', (env, message) => {
    expect(configError(env)).toMatch(message);
  });

  it('refuse a file whose params are wrong or that is not a parameter file, naming the field', () => {
    const read = files({ '/a.json': '{"name":"a","params":{"h3Resolution":16}}', '/b.json': '{"batchCapacity":3}' });
    expect(configError({ DISPATCH_PARAMS_FILE: '/a.json' }, read)).toMatch(
      /DISPATCH_PARAMS_FILE \/a\.json: params\.h3Resolution: /,
    );
    expect(configError({ DISPATCH_PARAMS_FILE: '/b.json' }, read)).toMatch(
      /DISPATCH_PARAMS_FILE \/b\.json: .*(batchCapacity|params)/,
    );
  });

  it('overrides on top of a set (tests, the demo city) rename it and change the hash; none keep it', () => {
    const base = defaultDispatchParamSet();
    expect(withDispatchOverrides(base, {}, 'demo')).toBe(base);
    const demo = withDispatchOverrides(base, { waitWindowSeconds: 60 }, 'demo');
    expect(demo).toMatchObject({ name: 'defaults+demo', source: 'built-in + demo' });
    expect(demo.params).toEqual(resolveDispatchParams({ waitWindowSeconds: 60 }));
    expect(demo.hash).not.toBe(base.hash);
  });
});

describe('a file as `npm run tune -- --write` saves it', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('loads back, from disk, as exactly the saved parameters under the saved name', async () => {
    dir = await mkdtemp(join(tmpdir(), 'dispatch-params-'));
    const tuned = resolveDispatchParams({
      batchCapacity: 2,
      commitSlackSeconds: 180,
      scarceScoring: { distancePenaltyPerKm: 15 },
    });
    const file = join(dir, 'tuned.json');
    await writeFile(file, formatDispatchParamsFile('tuned-test', tuned));
    const { dispatch } = loadConfig({ DISPATCH_PARAMS_FILE: file });
    expect(dispatch.params).toEqual(tuned);
    expect(dispatch).toMatchObject({ name: 'tuned-test', source: file, hash: dispatchParamsHash(tuned) });
  });
});
