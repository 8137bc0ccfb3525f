import type { ChildProcess } from 'node:child_process';

/**
 * Every process the fault run spawned and that still runs (servers and deliverygo processes), so that a run cut short
 * (the watchdog, Ctrl-C) can SIGKILL them all instead of leaving a Kafka or a PostgreSQL behind.
 */
const running = new Set<ChildProcess>();

/** Registers `child` until it exits. Returns it. */
export function track<T extends ChildProcess>(child: T): T {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** SIGKILLs every tracked process that still runs. */
export function killAllChildren(): void {
  for (const child of running) child.kill('SIGKILL');
}
