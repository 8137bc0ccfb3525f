/**
 * A Kafka broker of a test's own, for tests that stop and start the broker (start-up ordering, restarts, outages):
 * the same Kafka jars `scripts/infra.sh up` caches in .cache/kafka/lib, a single KRaft node on free loopback ports,
 * its data in a temporary directory. The shared broker on :9092 is never touched.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KAFKA_LIB_DIR, kafkaJavaArgs, writeKafkaProperties } from '../../apps/chaos/kafka-node.ts';
import { waitFor } from './wait-for.ts';
import { freePort } from './free-port.ts';

const CLUSTER_ID = 'cHJpdmF0ZS1rYWZrYS10ZQ';

export interface PrivateKafka {
  /** `127.0.0.1:<port>`, known before the broker first starts. */
  readonly brokers: string[];
  /** Starts the broker (formatting its storage the first time) and resolves once it logged "Kafka Server started". */
  start(): Promise<void>;
  /** `kill -9` when `hard`, else SIGTERM; resolves when the process is gone. The data directory is kept. */
  stop(options?: { hard?: boolean }): Promise<void>;
  /**
   * `kill -9`s the broker and deletes its data: the next `start()` is a fresh broker on the same ports (no topics, no
   * committed offsets) — a broker replaced, or restarted on an empty volume.
   */
  wipe(): Promise<void>;
  /** Stops the broker and deletes its data. */
  destroy(): Promise<void>;
}

/** Allocates the ports and the data directory of a private broker; nothing runs until `start()`. */
export async function privateKafka(): Promise<PrivateKafka> {
  if (!existsSync(KAFKA_LIB_DIR))
    throw new Error(`no Kafka jars in ${KAFKA_LIB_DIR}: run 'bash scripts/infra.sh up' first`);
  const [port, controllerPort] = await Promise.all([freePort(), freePort()]);
  const dir = await mkdtemp(join(tmpdir(), 'deliverygo-kafka-'));
  const props = join(dir, 'server.properties');
  const log = join(dir, 'kafka.log');
  await writeKafkaProperties(props, join(dir, 'data'), port, controllerPort);
  const java = (mainClass: string, args: string[]): string[] => kafkaJavaArgs(dir, mainClass, args);
  let formatted = false;
  let child: ChildProcess | undefined;
  let output = '';

  const run = (args: string[]): Promise<void> =>
    new Promise((done, fail) => {
      const p = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      p.stdout.on('data', (d: Buffer) => (text += d));
      p.stderr.on('data', (d: Buffer) => (text += d));
      p.on('error', fail);
      p.on('exit', (code) =>
        code === 0 ? done() : fail(new Error(`java ${args.at(-4)} exited ${code}: ${text.slice(-2000)}`)),
      );
    });

  const stop = async ({ hard = false } = {}): Promise<void> => {
    const p = child;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise<void>((done) => p.once('exit', () => done()));
    p.kill(hard ? 'SIGKILL' : 'SIGTERM');
    await gone;
    child = undefined;
  };

  return {
    brokers: [`127.0.0.1:${port}`],
    async start() {
      if (child) return;
      if (!formatted) {
        await run(java('kafka.tools.StorageTool', ['format', '-t', CLUSTER_ID, '-c', props, '--ignore-formatted']));
        formatted = true;
      }
      output = '';
      const p = spawn('java', java('kafka.Kafka', [props]), { stdio: ['ignore', 'pipe', 'pipe'] });
      child = p;
      p.stdout!.on('data', (d: Buffer) => (output = (output + d).slice(-20_000)));
      p.stderr!.on('data', (d: Buffer) => (output = (output + d).slice(-20_000)));
      await waitFor(
        () => {
          if (p.exitCode !== null)
            throw new Error(`private Kafka exited during start-up (${p.exitCode}): ${output.slice(-3000)}`);
          return output.includes('Kafka Server started');
        },
        { timeoutMs: 180_000, what: `private Kafka on :${port} to start` },
      );
      await writeFile(log, output).catch(() => undefined);
    },
    stop,
    async wipe() {
      await stop({ hard: true });
      await rm(join(dir, 'data'), { recursive: true, force: true });
      formatted = false;
    },
    async destroy() {
      await stop({ hard: true });
      await rm(dir, { recursive: true, force: true });
    },
  };
}
