import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../internal/platform/project-root.ts';

/**
 * The files and the JVM command line of a throwaway single-node KRaft Kafka (broker + controller) run from the jars
 * `scripts/infra.sh` caches: the same configuration as its broker (scripts/kafka/server.properties.template), on other
 * loopback ports and with a smaller heap. Shared by the fault run's broker (servers.ts) and the tests' private broker
 * (tests/support/private-kafka.ts).
 */

/** Where `scripts/infra.sh jars` (and `up`) put the Kafka jars. */
export const KAFKA_LIB_DIR = join(PROJECT_ROOT, '.cache/kafka/lib');

/** Writes `propsFile`: the shared template with this node's data directory and ports. */
export async function writeKafkaProperties(
  propsFile: string,
  dataDir: string,
  port: number,
  controllerPort: number,
): Promise<void> {
  const template = await readFile(join(PROJECT_ROOT, 'scripts/kafka/server.properties.template'), 'utf8');
  await writeFile(
    propsFile,
    template
      .replaceAll('@KAFKA_DATA_DIR@', dataDir)
      .replaceAll('127.0.0.1:9093', `127.0.0.1:${controllerPort}`)
      .replaceAll('127.0.0.1:9092', `127.0.0.1:${port}`),
  );
}

/** `java` arguments running `mainClass` of the cached jars, its logs under `logsDir`. */
export function kafkaJavaArgs(logsDir: string, mainClass: string, args: string[]): string[] {
  return [
    '-Xms128m',
    '-Xmx384m',
    '-XX:+UseSerialGC',
    '-XX:TieredStopAtLevel=1',
    '-Djava.awt.headless=true',
    `-Dlog4j.configuration=file:${join(PROJECT_ROOT, 'scripts/kafka/log4j.properties')}`,
    `-Dkafka.logs.dir=${logsDir}`,
    '-cp',
    `${KAFKA_LIB_DIR}/*`,
    mainClass,
    ...args,
  ];
}
