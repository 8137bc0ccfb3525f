/**
 * data/prepare-osrm.sh's choice of tools, with recording stand-ins for osrm-extract/-partition/-customize and docker
 * on the PATH (this machine has neither OSRM nor a Docker engine): the PATH's tools when all three are there, Docker
 * otherwise, and a plain refusal when there is neither. What OSRM itself produces is not checked here; the stand-ins
 * only write the file names OSRM writes, so the script's completion check has something to find.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const EXTRACT = join(ROOT, '..', 'shared', 'osm', 'monaco.osm.pbf');
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A scratch directory with bin/ (the stand-ins), data/ (OSRM_DATA_DIR) and calls.log (one line per call). */
function sandbox(tools: Array<'osrm' | 'docker'>) {
  const dir = mkdtempSync(join(tmpdir(), 'prepare-osrm-'));
  dirs.push(dir);
  const bin = join(dir, 'prefix', 'bin');
  mkdirSync(bin, { recursive: true });
  mkdirSync(join(dir, 'data'));
  const log = join(dir, 'calls.log');
  writeFileSync(log, '');
  const tool = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\necho "${name} $*" >> "${log}"\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  if (tools.includes('osrm')) {
    mkdirSync(join(dir, 'prefix', 'share', 'osrm', 'profiles'), { recursive: true });
    writeFileSync(join(dir, 'prefix', 'share', 'osrm', 'profiles', 'car.lua'), '-- car profile\n');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion, not a JS template
    tool('osrm-extract', 'f=$3; touch "${f%.osm.pbf}.osrm"');
    tool('osrm-partition', 'touch "$1.partition"');
    tool('osrm-customize', 'touch "$1.mldgr"');
  }
  if (tools.includes('docker')) {
    // `docker info` succeeds; `docker run … IMAGE osrm-customize /data/x.osrm` writes the marker into the mount.
    tool(
      'docker',
      `[ "$1" = info ] && exit 0\nfor last; do :; done\ncase "$*" in *osrm-customize*) touch "${join(dir, 'data')}/$(basename "$last").mldgr" ;; esac`,
    );
  }
  const run = (env: Record<string, string> = {}) =>
    spawnSync('bash', [join(ROOT, 'data', 'prepare-osrm.sh'), EXTRACT], {
      encoding: 'utf8',
      // Test-only: the script needs a PATH; only the stand-ins and the base system are on it.
      env: { PATH: `${bin}:/usr/bin:/bin`, OSRM_DATA_DIR: join(dir, 'data'), ...env },
    });
  return { dir, run, calls: () => readFileSync(log, 'utf8').trim().split('\n').filter(Boolean) };
}

describe('data/prepare-osrm.sh', () => {
  it('uses osrm-extract, osrm-partition and osrm-customize from the PATH when present, with their car.lua', () => {
    const box = sandbox(['osrm', 'docker']);
    const result = box.run();
    expect(result.status, result.stderr).toBe(0);
    const data = join(box.dir, 'data');
    expect(box.calls()).toEqual([
      `osrm-extract -p ${join(box.dir, 'prefix', 'share', 'osrm', 'profiles', 'car.lua')} ${data}/monaco.osm.pbf`,
      `osrm-partition ${data}/monaco.osrm`,
      `osrm-customize ${data}/monaco.osrm`,
    ]);
    expect(result.stdout).toContain(`osrm-routed --algorithm mld "${data}/monaco.osrm"`);
  });

  it('falls back to Docker with the v26.4.1 image when the tools are not on the PATH', () => {
    const box = sandbox(['docker']);
    const result = box.run();
    expect(result.status, result.stderr).toBe(0);
    const calls = box.calls().filter((c) => !c.startsWith('docker info'));
    expect(calls).toHaveLength(3);
    for (const [i, step] of [
      'osrm-extract -p /opt/car.lua /data/monaco.osm.pbf',
      'osrm-partition /data/monaco.osrm',
      'osrm-customize /data/monaco.osrm',
    ].entries()) {
      expect(calls[i]).toMatch(/^docker run --rm -u \d+:\d+ -v \S+:\/data /);
      expect(calls[i]).toContain(`ghcr.io/project-osrm/osrm-backend:v26.4.1 ${step}`);
    }
  });

  it('refuses in one line when there is neither, and OSRM_TOOLS=path insists on the PATH', () => {
    const none = sandbox([]).run();
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/^prepare-osrm: neither the OSRM tools .* nor docker are on the PATH/);
    const pathOnly = sandbox(['docker']).run({ OSRM_TOOLS: 'path' });
    expect(pathOnly.status).toBe(1);
    expect(pathOnly.stderr).toContain(
      'OSRM_TOOLS=path, but osrm-extract, osrm-partition and osrm-customize are not all on the PATH',
    );
  });
});
