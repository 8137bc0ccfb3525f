/**
 * The fault run's own servers: a PostgreSQL cluster (initdb into the run directory, trust auth), a Redis and a
 * single-node KRaft Kafka from the jars `bash scripts/infra.sh jars` caches in .cache/kafka/lib — every one on free
 * loopback ports and in the run directory, so the machine's shared servers (5432, 6379, 9092/9093) are never touched.
 * Each server is a child process of the run; stopping one is a signal to that child, nothing else.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdir, readFile, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { track } from './children.ts';
import { KAFKA_LIB_DIR, kafkaJavaArgs, writeKafkaProperties } from './kafka-node.ts';
import { PROJECT_ROOT as projectRoot } from '../../internal/platform/project-root.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One server the run can stop (gracefully, or `kill -9` when `hard`) and start again on the same port and data. */
export interface ChaosServer {
  readonly name: string;
  readonly port: number;
  /** Starts the server; resolves once it answers its protocol. */
  start(): Promise<void>;
  /** Stops it: SIGKILL when `hard`, else the server's own graceful signal; resolves once the process is gone. */
  stop(options?: { hard?: boolean }): Promise<void>;
  /** The running process' pid, undefined when stopped. */
  pid(): number | undefined;
}

/** Waits for `child` to exit; SIGKILL after `graceMs`. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals, graceMs = 30_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

/** Resolves when `probe` answers true; rejects after `timeoutMs` or at once when `child` exits. */
async function until(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  child?: ChildProcess,
  logFile?: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      const tail = logFile ? (await readFile(logFile, 'utf8').catch(() => '')).slice(-2_000) : '';
      throw new Error(`${what}: the process exited (${child.exitCode ?? child.signalCode}) before answering\n${tail}`);
    }
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`${what}: no answer within ${timeoutMs} ms`);
    await sleep(200);
  }
}

/** Sends `request` to 127.0.0.1:`port` and checks the first bytes of the answer; false on any error or after 2 s. */
export function tcpProbe(port: number, request: Buffer, check: (reply: Buffer) => boolean): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = Buffer.alloc(0);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2_000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => {
      reply = Buffer.concat([reply, chunk]);
      if (check(reply)) done(true);
      else if (reply.length >= 64) done(false);
    });
    socket.on('end', () => done(check(reply)));
  });
}

/** PostgreSQL answers an SSLRequest with one byte, `S` or `N`. */
const postgresAnswers = (port: number) =>
  tcpProbe(port, Buffer.from([0, 0, 0, 8, 4, 0xd2, 0x16, 0x2f]), (r) => r[0] === 0x53 || r[0] === 0x4e);
/** Redis answers PING with +PONG. */
const redisAnswers = (port: number) =>
  tcpProbe(port, Buffer.from('PING\r\n'), (r) => r.toString('latin1').startsWith('+PONG'));
/** Kafka answers ApiVersions v0 (correlation id 7) with error code 0. */
const kafkaAnswers = (port: number) =>
  tcpProbe(
    port,
    Buffer.from([0, 0, 0, 0x0c, 0, 0x12, 0, 0, 0, 0, 0, 7, 0, 2, 0x63, 0x69]),
    (r) => r.length >= 10 && r.readInt32BE(4) === 7 && r.readInt16BE(8) === 0,
  );

/** The directory of PostgreSQL's server binaries: the newest /usr/lib/postgresql/N/bin, else whatever PATH holds. */
function postgresBinDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(base, versions[0], 'bin');
}

/** initdb and postgres refuse to run as root: as root, run them as the `postgres` account. */
function postgresIdentity(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error('running as root, and there is no `postgres` account to run initdb and postgres as');
  }
}

/**
 * A PostgreSQL cluster of the run's own in `dir/pg`: initdb (trust auth, superuser `postgres`), then `postgres` as a
 * child process listening on 127.0.0.1:`port` only (its socket in `dir/pg-socket`). fsync is off — the run restarts the
 * server, never the machine, so committed data is still in the kernel's cache; it spares the shared disk.
 * A graceful stop is SIGINT (fast shutdown); `hard` is SIGQUIT (immediate shutdown: crash recovery on the next start).
 */
export async function postgresServer(dir: string, port: number): Promise<ChaosServer & { url: string }> {
  const bin = postgresBinDir();
  const exe = (name: string) => (bin ? join(bin, name) : name);
  const identity = postgresIdentity();
  const dataDir = join(dir, 'pg');
  const socketDir = join(dir, 'pg-socket');
  const logFile = join(dir, 'postgres.log');
  for (const d of [dataDir, socketDir]) {
    await mkdir(d, { recursive: true, mode: 0o700 });
    if (identity) await chown(d, identity.uid, identity.gid);
  }
  const spawnAs = identity ? { uid: identity.uid, gid: identity.gid } : {};
  await new Promise<void>((resolve, reject) => {
    const init = spawn(
      exe('initdb'),
      ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
      { ...spawnAs, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    init.stdout.on('data', (d: Buffer) => (out += d));
    init.stderr.on('data', (d: Buffer) => (out += d));
    init.on('error', reject);
    init.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`initdb exited ${code}: ${out.slice(-2000)}`)),
    );
  });
  let child: ChildProcess | undefined;
  return {
    name: 'postgres',
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    pid: () => child?.pid,
    async start() {
      const log = createWriteStream(logFile, { flags: 'a' });
      const p = track(
        spawn(
          exe('postgres'),
          [
            '-D',
            dataDir,
            '-p',
            String(port),
            '-c',
            'listen_addresses=127.0.0.1',
            '-c',
            `unix_socket_directories=${socketDir}`,
            '-c',
            'fsync=off',
            '-c',
            'max_connections=200',
            '-c',
            'shared_buffers=64MB',
          ],
          { ...spawnAs, stdio: ['ignore', 'pipe', 'pipe'] },
        ),
      );
      p.stdout!.pipe(log);
      p.stderr!.pipe(log);
      child = p;
      await until(`postgres on :${port}`, () => postgresAnswers(port), 60_000, p, logFile);
    },
    async stop({ hard = false } = {}) {
      if (child) await stopChild(child, hard ? 'SIGQUIT' : 'SIGINT');
      child = undefined;
    },
  };
}

/** A Redis of the run's own on 127.0.0.1:`port`, persisting nothing: every start is an empty Redis. */
export function redisServer(dir: string, port: number): ChaosServer {
  const dataDir = join(dir, 'redis');
  const logFile = join(dir, 'redis.log');
  let child: ChildProcess | undefined;
  return {
    name: 'redis',
    port,
    pid: () => child?.pid,
    async start() {
      await rm(dataDir, { recursive: true, force: true });
      await mkdir(dataDir, { recursive: true });
      const log = createWriteStream(logFile, { flags: 'a' });
      const p = track(
        spawn(
          'redis-server',
          ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dataDir],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        ),
      );
      p.stdout!.pipe(log);
      p.stderr!.pipe(log);
      child = p;
      await until(`redis on :${port}`, () => redisAnswers(port), 30_000, p, logFile);
    },
    async stop({ hard = false } = {}) {
      if (child) await stopChild(child, hard ? 'SIGKILL' : 'SIGTERM');
      child = undefined;
    },
  };
}

/** The Kafka jars `bash scripts/infra.sh jars` caches (and fetches with Maven the first time). */

/** Makes sure the Kafka jars are cached: runs `bash scripts/infra.sh jars` (a no-op when they are). */
export function ensureKafkaJars(): void {
  execFileSync('bash', [join(projectRoot, 'scripts/infra.sh'), 'jars'], { stdio: ['ignore', 'inherit', 'inherit'] });
}

/**
 * A single-node KRaft Kafka (broker + controller) of the run's own on 127.0.0.1:`port` (controller on
 * `controllerPort`), its data in `dir/kafka-data`, formatted on the first start. The same configuration as
 * scripts/infra.sh's broker (scripts/kafka/server.properties.template), with a smaller heap.
 */
export async function kafkaServer(dir: string, port: number, controllerPort: number): Promise<ChaosServer> {
  if (!existsSync(join(KAFKA_LIB_DIR, '.complete')))
    throw new Error(`no Kafka jars in ${KAFKA_LIB_DIR}: run 'bash scripts/infra.sh jars'`);
  const props = join(dir, 'kafka.properties');
  const logFile = join(dir, 'kafka.log');
  await writeKafkaProperties(props, join(dir, 'kafka-data'), port, controllerPort);
  const java = (mainClass: string, args: string[]): string[] => kafkaJavaArgs(dir, mainClass, args);
  let formatted = false;
  let child: ChildProcess | undefined;
  return {
    name: 'kafka',
    port,
    pid: () => child?.pid,
    async start() {
      if (!formatted) {
        execFileSync(
          'java',
          java('kafka.tools.StorageTool', [
            'format',
            '-t',
            'Y2hhb3MtcnVuLWthZmthMQ',
            '-c',
            props,
            '--ignore-formatted',
          ]),
          { stdio: 'ignore' },
        );
        formatted = true;
      }
      const log = createWriteStream(logFile, { flags: 'a' });
      const p = track(spawn('java', java('kafka.Kafka', [props]), { stdio: ['ignore', 'pipe', 'pipe'] }));
      let started = false;
      let tail = '';
      p.stdout!.on('data', (d: Buffer) => {
        if (started) return;
        tail = (tail + d.toString()).slice(-4_096);
        started = tail.includes('Kafka Server started');
      });
      p.stdout!.pipe(log);
      p.stderr!.pipe(log);
      child = p;
      await until(`kafka on :${port}`, async () => started && (await kafkaAnswers(port)), 180_000, p, logFile);
    },
    async stop({ hard = false } = {}) {
      if (child) await stopChild(child, hard ? 'SIGKILL' : 'SIGTERM', 45_000);
      child = undefined;
    },
  };
}

/** Makes `dir` traversable by the `postgres` account when the run is root (mkdtemp makes it 0700). */
export async function openRunDir(dir: string): Promise<void> {
  if (process.getuid?.() === 0) await chmod(dir, 0o755);
}
