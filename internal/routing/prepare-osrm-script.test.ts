import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/**
 * data/prepare-osrm.sh drives `docker run ghcr.io/project-osrm/osrm-backend …` and `curl`. CI has no Docker engine and no internet,
 * so these tests put stand-ins for both on PATH: `docker` logs its arguments and creates the files each OSRM tool
 * would (refusing to run a step whose input is missing), `curl` serves a fixed body and its md5. What is checked is the
 * script's own logic — source resolution, naming, checksum, the tool sequence, idempotence — not OSRM.
 */
const SCRIPT = fileURLToPath(new URL('../../data/prepare-osrm.sh', import.meta.url));
const MONACO = fileURLToPath(new URL('../../../shared/osm/monaco.osm.pbf', import.meta.url));

const FAKE_DOCKER = `#!/usr/bin/env bash
echo "$*" >> "$FAKE_LOG"
if [ "$1" = info ]; then exit "\${FAKE_DOCKER_INFO_RC:-0}"; fi
[ "$1" = run ] || exit 64
shift
while [ $# -gt 0 ]; do
  case $1 in --rm) shift ;; -u) shift 2 ;; -v) host=\${2%%:/data}; shift 2 ;; *) break ;; esac
done
shift # image
tool=$1
target="$host/$(basename "\${@: -1}")"
case $tool in
  osrm-extract) [ -f "$target" ] || exit 1; touch "\${target%.osm.pbf}.osrm.timestamp" ;;
  osrm-partition) [ -f "$target.timestamp" ] || exit 1; touch "$target.partition" ;;
  osrm-customize) [ -f "$target.partition" ] || exit 1; touch "$target.mldgr" ;;
  *) exit 65 ;;
esac
`;

const FAKE_CURL = `#!/usr/bin/env bash
out=''
while [ $# -gt 1 ]; do
  case $1 in -o) out=$2; shift 2 ;; --retry|--retry-delay) shift 2 ;; *) shift ;; esac
done
url=$1
echo "curl $url" >> "$FAKE_LOG"
if [[ $url == *.md5 ]]; then
  if [ -n "\${FAKE_BAD_MD5:-}" ]; then echo "00000000000000000000000000000000  x"; exit 0; fi
  printf 'pbf from %s' "\${url%.md5}" | md5sum | sed "s/-$/$(basename "\${url%.md5}")/"
else
  printf 'pbf from %s' "$url" > "$out"
fi
`;

describe('data/prepare-osrm.sh', () => {
  let dir: string;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'prepare-osrm-'));
    dataDir = join(dir, 'data');
    for (const [name, body] of [
      ['docker', FAKE_DOCKER],
      ['curl', FAKE_CURL],
    ] as const) {
      await writeFile(join(dir, name), body);
      await chmod(join(dir, name), 0o755);
    }
    env = {
      PATH: `${dir}:${process.env.PATH ?? ''}`,
      FAKE_LOG: join(dir, 'log'),
      OSRM_DATA_DIR: dataDir,
      GEOFABRIK_URL: 'http://geofabrik.test',
    };
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const run = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    new Promise<{ code: number; out: string }>((ok) => {
      execFile('bash', [SCRIPT, ...args], { env: { ...env, ...extra } }, (err, stdout, stderr) =>
        ok({ code: err ? Number(err.code ?? 1) : 0, out: stdout + stderr }),
      );
    });
  const log = async () => (await readFile(join(dir, 'log'), 'utf8').catch(() => '')).trim().split('\n');
  const dockerRuns = async () => (await log()).filter((l) => l.startsWith('run '));

  it('prepares a local extract: extract with /opt/car.lua, partition, customize, in the osrm-backend v26.4.1 image', async () => {
    const { code, out } = await run([MONACO]);
    expect(code, out).toBe(0);
    const image = 'ghcr.io/project-osrm/osrm-backend:v26.4.1';
    const prefix = `run --rm -u ${process.getuid!()}:${process.getgid!()} -v ${dataDir}:/data ${image}`;
    expect(await dockerRuns()).toEqual([
      `${prefix} osrm-extract -p /opt/car.lua /data/monaco.osm.pbf`,
      `${prefix} osrm-partition /data/monaco.osrm`,
      `${prefix} osrm-customize /data/monaco.osrm`,
    ]);
    expect((await readFile(join(dataDir, 'monaco.osm.pbf'))).equals(await readFile(MONACO))).toBe(true);
    expect(out).toContain('osrm-routed --algorithm mld /data/monaco.osrm');
  });

  it('leaves a prepared dataset alone unless --force', async () => {
    expect((await run([MONACO])).code).toBe(0);
    const again = await run([MONACO]);
    expect(again.out).toContain('up to date');
    expect(await dockerRuns()).toHaveLength(3);
    expect((await run(['--force', MONACO])).code).toBe(0);
    expect(await dockerRuns()).toHaveLength(6);
  });

  it('downloads a Geofabrik region, checks its md5 and names the dataset after the region', async () => {
    const { code, out } = await run(['europe/monaco']);
    expect(code, out).toBe(0);
    expect((await log()).filter((l) => l.startsWith('curl '))).toEqual([
      'curl http://geofabrik.test/europe/monaco-latest.osm.pbf',
      'curl http://geofabrik.test/europe/monaco-latest.osm.pbf.md5',
    ]);
    expect(await readdir(dataDir)).toContain('monaco.osrm.mldgr');
    expect((await run(['--name', 'mc', 'europe/monaco'])).code).toBe(0);
    expect(await readdir(dataDir)).toContain('mc.osrm.mldgr');
  });

  it('refuses a download whose md5 does not match, leaving nothing behind', async () => {
    const { code, out } = await run(['europe/monaco'], { FAKE_BAD_MD5: '1' });
    expect(code).not.toBe(0);
    expect(out).toContain('checksum mismatch');
    expect(await readdir(dataDir)).toEqual([]);
    expect(await dockerRuns()).toEqual([]);
  });

  it('explains what is wrong with the source or the Docker engine', async () => {
    const bad = await run(['no such file.pbf']);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('neither an existing file, a URL nor a Geofabrik region');
    const noEngine = await run([MONACO], { FAKE_DOCKER_INFO_RC: '1' });
    expect(noEngine.code).toBe(1);
    expect(noEngine.out).toContain('docker engine is not reachable');
    expect((await run([])).code).toBe(2);
  });
});
