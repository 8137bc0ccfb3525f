import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { describeShutdown, runUntilSignal, shutdownSteps, type ProcessLike } from './lifecycle.ts';
import { silentLogger } from './logger.ts';

class FakeProcess extends EventEmitter implements ProcessLike {
  readonly exits: number[] = [];
  exit(code: number): void {
    this.exits.push(code);
  }
}

const tick = () => new Promise((r) => setTimeout(r, 10));

describe('runUntilSignal', () => {
  it('runs cleanup once on SIGTERM and exits 0', async () => {
    const proc = new FakeProcess();
    let cleanups = 0;
    const done = runUntilSignal(async () => void cleanups++, silentLogger, { process: proc });
    await tick();
    expect(cleanups).toBe(0); // nothing happens before a signal
    proc.emit('SIGTERM', 'SIGTERM');
    expect(await done).toBe(0);
    expect(cleanups).toBe(1);
    expect(proc.exits).toEqual([0]);
    expect(proc.listenerCount('SIGTERM') + proc.listenerCount('SIGINT')).toBe(0);
  });

  it('exits 1 when cleanup fails', async () => {
    const proc = new FakeProcess();
    const done = runUntilSignal(async () => Promise.reject(new Error('pool would not close')), silentLogger, {
      process: proc,
    });
    proc.emit('SIGINT', 'SIGINT');
    expect(await done).toBe(1);
    expect(proc.exits).toEqual([1]);
  });

  it('exits 1 when cleanup overruns its time', async () => {
    const proc = new FakeProcess();
    const done = runUntilSignal(() => new Promise<void>(() => {}), silentLogger, { process: proc, timeoutMs: 50 });
    proc.emit('SIGTERM', 'SIGTERM');
    expect(await done).toBe(1);
    expect(proc.exits).toEqual([1]);
  });

  it('forces exit on a second signal while cleaning up', async () => {
    const proc = new FakeProcess();
    let finish!: () => void;
    const cleanup = () => new Promise<void>((r) => (finish = r));
    const done = runUntilSignal(cleanup, silentLogger, { process: proc });
    proc.emit('SIGTERM', 'SIGTERM');
    await tick();
    expect(proc.exits).toEqual([]); // still draining
    proc.emit('SIGINT', 'SIGINT');
    expect(proc.exits).toEqual([1]);
    finish();
    await done;
  });
});

describe('runUntilSignal tells a person what it stopped', () => {
  it('says that it is shutting down, then each step with the steps nested inside it', async () => {
    const proc = new FakeProcess();
    const said: string[] = [];
    const api = () =>
      shutdownSteps(
        [
          ['websocket hub', () => {}],
          ['http server', async () => {}],
        ],
        silentLogger,
      );
    const cleanup = () =>
      shutdownSteps(
        [
          ['api', api],
          ['adapters', () => {}],
        ],
        silentLogger,
      );
    const done = runUntilSignal(cleanup, silentLogger, { process: proc, say: (line) => said.push(line) });
    proc.emit('SIGINT', 'SIGINT');
    expect(await done).toBe(0);
    expect(said[0]).toBe('SIGINT: shutting down (again to exit at once)');
    const report = said[1]!.split('\n');
    expect(report[0]).toMatch(/^stopped in \d+\.\d s:$/);
    expect(report[1]).toMatch(/^ {2}api {7}\d+\.\d\d s {2}websocket hub, http server$/);
    expect(report[2]).toMatch(/^ {2}adapters {2}\d+\.\d\d s$/);
    expect(said).toHaveLength(2);
  });

  it('marks a failed step', async () => {
    const proc = new FakeProcess();
    const said: string[] = [];
    const cleanup = () =>
      shutdownSteps(
        [
          ['worker', () => Promise.reject(new Error('consumer stuck'))],
          ['adapters', () => {}],
        ],
        silentLogger,
      );
    const done = runUntilSignal(cleanup, silentLogger, { process: proc, say: (line) => said.push(line) });
    proc.emit('SIGTERM', 'SIGTERM');
    expect(await done).toBe(1);
    expect(said[1]).toMatch(/worker {4}\d+\.\d\d s {2}FAILED/);
    expect(said[1]).toContain('with errors: 1 shutdown step(s) failed');
  });

  it('describes an empty shutdown in one line', () => {
    expect(describeShutdown([], 1234)).toBe('stopped in 1.2 s');
  });
});

describe('shutdownSteps', () => {
  it('runs every step in order even when one fails, then reports the failure', async () => {
    const ran: string[] = [];
    const run = shutdownSteps(
      [
        ['server', () => void ran.push('server')],
        ['bus', () => Promise.reject(new Error('broker gone'))],
        ['pool', async () => void ran.push('pool')],
      ],
      silentLogger,
    );
    await expect(run).rejects.toThrow('1 shutdown step(s) failed');
    expect(ran).toEqual(['server', 'pool']);
  });
});
