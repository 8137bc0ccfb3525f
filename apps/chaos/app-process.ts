/**
 * The deliverygo processes of a fault run (API, worker, simulator): each `node --import tsx <entry>` with the run's
 * environment, its output appended to a log file in the run directory. A process the run did not stop itself that
 * exits is an *unexpected exit*: recorded (the run fails on it: no process may exit because a dependency was away) and
 * restarted after a second, as a supervisor with `restart: on-failure` would, so the run can go on measuring.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../internal/platform/project-root.ts';
import { track } from './children.ts';
import { stopChild } from './servers.ts';

/** One exit the run did not ask for. */
export interface UnexpectedExit {
  process: string;
  /** Milliseconds since the run started. */
  atMs: number;
  code: number | null;
  signal: string | null;
  /** The last lines the process wrote. */
  tail: string;
}

export interface AppProcess {
  readonly name: string;
  /** Starts the process (no-op when running); resolves once `ready` says so (or at once without one). */
  start(): Promise<void>;
  /** Sends `signal` (default SIGTERM), waits for the exit; the exit is expected. Resolves with the exit code/signal. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: string | null; ms: number }>;
  /** Sends a signal without stopping (SIGUSR2 to the simulator). */
  signal(signal: NodeJS.Signals): void;
  running(): boolean;
  /** Resolves when the current process exits (whatever the cause). */
  exited(): Promise<void>;
}

export interface AppProcessOptions {
  name: string;
  /** Entry file relative to the project root, e.g. `apps/api/main.ts`. */
  entry: string;
  /** How the entry runs: `tsx` (the sources) or `dist` (what `npm run build` compiled, as `npm run api` runs it). */
  runtime: Runtime;
  args?: string[];
  env: Record<string, string>;
  logDir: string;
  /** Ready probe, polled every 200 ms after the spawn (bounded by `readyTimeoutMs`). */
  ready?: () => Promise<boolean>;
  readyTimeoutMs?: number;
  /** Restart after an unexpected exit (default true). */
  supervise?: boolean;
  /** Milliseconds since the run started (timestamps of unexpected exits). */
  clock: () => number;
  onUnexpectedExit: (exit: UnexpectedExit) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `tsx`: the TypeScript sources through tsx; `dist`: the JavaScript `npm run build` wrote to dist/. */
export type Runtime = 'tsx' | 'dist';

/** The node arguments that run `entry` (a `.ts` path from the project root) on `runtime`. */
export function nodeArgs(runtime: Runtime, entry: string, args: readonly string[] = []): string[] {
  return runtime === 'dist'
    ? [join('dist', entry.replace(/\.ts$/, '.js')), ...args]
    : ['--import', 'tsx', entry, ...args];
}

/** A supervised child process (see the module comment). */
export function appProcess(options: AppProcessOptions): AppProcess {
  const logFile = join(options.logDir, `${options.name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  let child: ChildProcess | undefined;
  let expected = false;
  let closed = false;
  let tail = '';
  let exitedPromise: Promise<void> = Promise.resolve();

  const spawnOnce = (): ChildProcess => {
    expected = false;
    tail = '';
    log.write(`\n===== ${new Date().toISOString()} start ${options.name} =====\n`);
    const p = track(
      spawn(process.execPath, nodeArgs(options.runtime, options.entry, options.args), {
        cwd: PROJECT_ROOT,
        env: { ...process.env, ...options.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    const keep = (d: Buffer) => {
      tail = (tail + d.toString()).slice(-3_000);
      log.write(d);
    };
    p.stdout!.on('data', keep);
    p.stderr!.on('data', keep);
    exitedPromise = new Promise((resolve) =>
      p.once('exit', (code, signal) => {
        log.write(`\n===== ${new Date().toISOString()} ${options.name} exited code=${code} signal=${signal} =====\n`);
        if (child === p) child = undefined;
        if (!expected && !closed) {
          options.onUnexpectedExit({ process: options.name, atMs: options.clock(), code, signal, tail });
          if (options.supervise !== false) {
            void sleep(1_000).then(() => {
              if (!closed && child === undefined) child = spawnOnce();
            });
          }
        }
        resolve();
      }),
    );
    return p;
  };

  return {
    name: options.name,
    running: () => child !== undefined,
    exited: () => exitedPromise,
    signal(signal) {
      child?.kill(signal);
    },
    async start() {
      closed = false;
      if (!child) child = spawnOnce();
      if (!options.ready) return;
      const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000);
      for (;;) {
        if (await options.ready().catch(() => false)) return;
        if (Date.now() > deadline)
          throw new Error(`${options.name} not ready within ${options.readyTimeoutMs ?? 120_000} ms:\n${tail}`);
        await sleep(200);
      }
    },
    async stop(signal = 'SIGTERM') {
      const p = child;
      const started = Date.now();
      closed = true; // no supervisor restart from here on, until the next start()
      if (!p) return { code: null, signal: null, ms: 0 };
      expected = true;
      const result = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
        p.once('exit', (code, sig) => resolve({ code, signal: sig })),
      );
      await stopChild(p, signal, 30_000);
      const { code, signal: sig } = await result;
      return { code, signal: sig, ms: Date.now() - started };
    },
  };
}

/** Stops every process for good (no restart): SIGTERM, SIGKILL after 30 s. */
export async function closeAll(processes: AppProcess[]): Promise<void> {
  await Promise.allSettled(processes.map((p) => p.stop('SIGTERM')));
}
