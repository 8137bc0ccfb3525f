/**
 * `npm run dlq -- list|replay …`: the dead-letter tool (see dead-letters.ts). Parsing, output and exit codes live here,
 * apart from the entry point (dlq-cli.ts), so tests run the very command a user types in-process.
 */
import { parseArgs } from 'node:util';
import { loadCliConfig } from '../config/config.ts';
import { createLogger } from '../platform/logger.ts';
import { createEventBus } from './create-event-bus.ts';
import type { RawPublisher } from './event-bus.ts';
import { listDeadLetters, replayDeadLetters, type DeadLetter, type DeadLetterTopic } from './dead-letters.ts';
import { KafkaTopicReader } from './kafka-topic-reader.ts';
import { prefixedTopicReader } from './topic-reader.ts';

export const DLQ_USAGE = `Usage:
  npm run dlq -- list   [--topic TOPIC] [--json]
  npm run dlq -- replay [--topic TOPIC] [--id EVENT_ID] [--dry-run] [--include-poison] [--json]

list     every dead-letter topic (<topic>.dlq) with its count and, per dead letter: DLQ partition/offset, pending or
         replayed, kind (poison | permanent | exhausted), attempts, failure time, event id and type, key, original
         topic and the reason.
replay   republishes pending dead letters to their original topic (the original bytes, key and headers, plus
         x-dlq-replayed-from) and records each in the DLQ topic (a dead_letter.replayed marker), so replaying again
         sends nothing twice. Consumers are idempotent. Poison messages (malformed) are skipped unless
         named with --id or --include-poison is given: they would only be dead-lettered again.

--topic  the original topic (order.placed) or its DLQ topic (order.placed.dlq); default: all of them.
--id     only the dead letter(s) of this event id.

Reads KAFKA_BROKERS, KAFKA_TOPIC_PREFIX and KAFKA_CLIENT_ID like the services. Without KAFKA_BROKERS the services use
the in-process bus, whose dead letters live in that process's memory only: this tool cannot reach them (they are
logged as "message dead-lettered" and counted in eventbus_dead_lettered_total, and are gone when the process stops).
`;

export interface DlqIo {
  env: Record<string, string | undefined>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** Runs the command; resolves to the exit code (0 done, 1 failed, 2 usage or configuration error). */
export async function runDlqCommand(argv: readonly string[], io: DlqIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        topic: { type: 'string' },
        id: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        'include-poison': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    io.stderr(`${(error as Error).message}\n\n${DLQ_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.help || command === 'help') {
    io.stdout(DLQ_USAGE);
    return 0;
  }
  if ((command !== 'list' && command !== 'replay') || positionals.length > 1) {
    io.stderr(
      `${command === undefined ? 'missing command' : `unknown command: ${positionals.join(' ')}`}\n\n${DLQ_USAGE}`,
    );
    return 2;
  }
  if (command === 'list' && (values.id !== undefined || values['dry-run'] || values['include-poison'])) {
    io.stderr(`--id, --dry-run and --include-poison belong to replay\n\n${DLQ_USAGE}`);
    return 2;
  }

  const config = loadCliConfig(io.stderr, io.env);
  if (!config) return 2;
  if (!config.kafkaBrokers) {
    io.stderr(
      'KAFKA_BROKERS is not set. Dead letters of the embedded in-process bus (npm start, or a service without\n' +
        'KAFKA_BROKERS) live in that process only and cannot be listed or replayed from here; see the service log\n' +
        '("message dead-lettered") and its eventbus_dead_lettered_total metric. Set KAFKA_BROKERS to use this tool.\n',
    );
    return 2;
  }

  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, 'dlq');
  const reader = new KafkaTopicReader({
    brokers: config.kafkaBrokers,
    clientId: `${config.kafka.clientId}-dlq`,
    logger,
  });
  const topics = prefixedTopicReader(reader, config.kafka.topicPrefix);
  const { bus } = command === 'replay' ? createEventBus(config, logger) : { bus: undefined };
  try {
    if (command === 'list') {
      const reports = await listDeadLetters(topics, { topic: values.topic });
      io.stdout(values.json ? `${JSON.stringify(reports, null, 2)}\n` : formatList(reports, values.topic));
      return 0;
    }
    const report = await replayDeadLetters(topics, bus as NonNullable<typeof bus> & RawPublisher, {
      topic: values.topic,
      id: values.id,
      dryRun: values['dry-run'],
      includePoison: values['include-poison'],
    });
    if (values.json) {
      io.stdout(`${JSON.stringify({ dryRun: values['dry-run'], ...report }, null, 2)}\n`);
      return 0;
    }
    const verb = values['dry-run'] ? 'would replay' : 'replayed';
    const lines = [`${verb} ${report.replayed.length} dead letter(s)${report.replayed.length > 0 ? ':' : ''}`];
    for (const letter of report.replayed) lines.push(`  ${describeLetter(letter)} → ${letter.letter.originalTopic}`);
    if (report.alreadyReplayed.length > 0) lines.push(`skipped ${report.alreadyReplayed.length} already replayed`);
    if (report.poison.length > 0) {
      lines.push(`skipped ${report.poison.length} poison message(s) (malformed; --include-poison or --id to replay)`);
    }
    if (
      values.id !== undefined &&
      report.replayed.length + report.alreadyReplayed.length + report.poison.length === 0
    ) {
      lines.push(`no dead letter has event id ${values.id}`);
    }
    io.stdout(`${lines.join('\n')}\n`);
    return 0;
  } catch (error) {
    io.stderr(`dlq ${command} failed: ${(error as Error).message ?? String(error)}\n`);
    return 1;
  } finally {
    await Promise.allSettled([reader.close(), bus?.close()]);
  }
}

function formatList(reports: readonly DeadLetterTopic[], topic: string | undefined): string {
  if (reports.length === 0) return 'no dead-letter topics\n';
  const lines: string[] = [];
  for (const report of reports) {
    const pending = report.letters.filter((l) => l.replayedAt === undefined).length;
    lines.push(
      `${report.dlqTopic} (failures of ${report.originalTopic}): ${report.letters.length} dead letter(s), ` +
        `${pending} pending, ${report.letters.length - pending} replayed` +
        (report.unreadable > 0 ? `, ${report.unreadable} unreadable message(s)` : ''),
    );
    for (const letter of report.letters) {
      const l = letter.letter;
      lines.push(
        `  ${letter.partition}/${letter.offset}  ${letter.replayedAt ? `replayed ${letter.replayedAt}` : 'pending'}  ` +
          `${l.kind}  attempts=${l.attempts}  failed ${l.failedAt}`,
      );
      lines.push(
        `    id=${letter.eventId}  type=${letter.eventType ?? '?'}  key=${l.key}  ` +
          `from ${l.originalTopic} ${l.partition}/${l.offset}`,
      );
      lines.push(`    reason: ${l.reason}`);
    }
  }
  if (topic !== undefined && reports.every((r) => r.letters.length === 0)) lines.push(`(no dead letters for ${topic})`);
  return `${lines.join('\n')}\n`;
}

function describeLetter(letter: DeadLetter): string {
  return `${letter.dlqTopic} ${letter.partition}/${letter.offset} id=${letter.eventId} type=${letter.eventType ?? '?'} key=${letter.letter.key}`;
}
