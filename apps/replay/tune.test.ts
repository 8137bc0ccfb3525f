import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../internal/config/config.ts';
import { dispatchParamsHash } from '../../internal/config/dispatch-params.ts';
import { DEFAULT_DISPATCH_PARAMS } from '../../internal/dispatch/params.ts';

const run = promisify(execFile);

describe('npm run tune -- --write', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes a parameter file the configuration (worker, replay) loads as the chosen set', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tune-'));
    const file = join(dir, 'tuned.json');
    // One small instance, one dimension: a real (short) tuning run.
    const { stdout } = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        'apps/replay/tune.ts',
        '../shared/mdrplib',
        '--every',
        '120',
        '--offset',
        '8',
        '--space',
        'batchCapacity',
        '--write',
        file,
        '--name',
        'round-trip',
      ],
      { env: { ...process.env, DISPATCH_PARAMS_FILE: '', DISPATCH_PARAMS: '', H3_RESOLUTION: '' } },
    );
    const printed = JSON.parse(
      stdout.slice(stdout.indexOf('{'), stdout.lastIndexOf('}') + 1),
    ) as typeof DEFAULT_DISPATCH_PARAMS;
    expect([1, 2, 3]).toContain(printed.batchCapacity);
    expect({ ...printed, batchCapacity: DEFAULT_DISPATCH_PARAMS.batchCapacity }).toEqual(DEFAULT_DISPATCH_PARAMS);

    const { dispatch } = loadConfig({ DISPATCH_PARAMS_FILE: file });
    expect(dispatch.params).toEqual(printed);
    expect(dispatch).toMatchObject({ name: 'round-trip', source: file, hash: dispatchParamsHash(printed) });
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ name: 'round-trip', params: printed });
    expect(stdout).toContain(`hash ${dispatch.hash}`);
  }, 120_000);
});
