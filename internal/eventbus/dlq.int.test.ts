/**
 * `npm run dlq` on a real broker, as a user runs it (the command in-process, configured by the environment): a handler
 * that fails permanently dead-letters an event, `list` shows it with its reason, and once the handler is fixed
 * `replay` delivers it — and a second replay sends nothing. The suite's topics live under a random
 * KAFKA_TOPIC_PREFIX, so `list` without --topic sees only them on the shared broker.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.ts';
import { silentLogger } from '../platform/logger.ts';
import { testKafkaBrokers, uniqueTopic } from '../../tests/support/kafka.ts';
import { scaledMs } from '../../tests/support/time-scale.ts';
import { createEventBus } from './create-event-bus.ts';
import { Inbox, makeEvent } from './event-bus.contract.ts';
import type { ReceivedMessage } from './event-bus.ts';
import { runDlqCommand } from './dlq-command.ts';
import { KafkaTopicReader } from './kafka-topic-reader.ts';
import { consume } from './middleware.ts';
import { REPLAYED_FROM_HEADER } from './dead-letters.ts';

const env = {
  KAFKA_BROKERS: testKafkaBrokers().join(','),
  KAFKA_TOPIC_PREFIX: `${uniqueTopic('dlq-cli')}.`,
  LOG_LEVEL: 'silent',
};
const config = loadConfig(env);
const { bus } = createEventBus(config, silentLogger);
const reader = new KafkaTopicReader({ brokers: testKafkaBrokers(), clientId: 'dlq-test', logger: silentLogger });

afterAll(async () => {
  await bus.close();
  await reader.close();
});

async function dlq(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runDlqCommand(argv, {
    env,
    stdout: (text) => (out += text),
    stderr: (text) => (err += text),
  });
  return { code, out, err };
}

describe('npm run dlq on Kafka', () => {
  it(
    'lists a permanently failed event with its reason; replay delivers it after the fix; a second replay sends nothing',
    async () => {
      const topic = 'order.placed';
      let broken = true;
      const handled = new Inbox<ReceivedMessage>();
      await consume(bus, {
        topic,
        group: 'dlq-test',
        maxAttempts: 3,
        backoffMs: 10,
        logger: silentLogger,
        handler: async (event, message) => {
          if (broken && event.type === 'order.placed') {
            throw Object.assign(new Error('store s-7 is not known here'), { permanent: true });
          }
          handled.push(message);
        },
      });
      const bad = makeEvent('order.placed', { storeId: 's-7' });
      const after = makeEvent('order.noted', { storeId: 's-7' });
      await bus.publish(topic, 'store-7', bad);
      await bus.publish(topic, 'store-7', after);
      // Same key, so `after` is handled only once `bad` was dead-lettered (the DLQ publish is awaited before the ack).
      await handled.until((items) => items.length === 1, 'the event after the failing one', 60_000);

      const listed = await dlq('list');
      expect(listed.err).toBe('');
      expect(listed.code).toBe(0);
      expect(listed.out).toContain(
        'order.placed.dlq (failures of order.placed): 1 dead letter(s), 1 pending, 0 replayed',
      );
      expect(listed.out).toContain(`id=${bad.id}  type=order.placed  key=store-7`);
      expect(listed.out).toMatch(/pending {2}permanent {2}attempts=1/);
      expect(listed.out).toContain('reason: store s-7 is not known here');

      const json = JSON.parse((await dlq('list', '--topic', topic, '--json')).out) as Array<{
        letters: Array<{ eventId: string; letter: { reason: string; kind: string } }>;
      }>;
      expect(json[0]!.letters.map((l) => [l.eventId, l.letter.kind, l.letter.reason])).toEqual([
        [bad.id, 'permanent', 'store s-7 is not known here'],
      ]);

      const dry = await dlq('replay', '--dry-run');
      expect(dry.out).toContain('would replay 1 dead letter(s)');
      expect((await dlq('list')).out).toContain('1 pending');

      broken = false;
      const replay = await dlq('replay', '--topic', topic, '--id', bad.id);
      expect(replay.err).toBe('');
      expect(replay.code).toBe(0);
      expect(replay.out).toContain(`replayed 1 dead letter(s):`);
      expect(replay.out).toContain(`id=${bad.id}`);
      await handled.until((items) => items.length === 2, 'the replayed event', 60_000);
      expect(JSON.parse(handled.items[1]!.value)).toEqual(bad);
      expect(handled.items[1]!.headers[REPLAYED_FROM_HEADER]).toMatch(/order\.placed\.dlq\/\d+\/\d+$/);
      expect((await dlq('list')).out).toMatch(/1 dead letter\(s\), 0 pending, 1 replayed[\s\S]*replayed \d{4}-/);

      const second = await dlq('replay');
      expect(second.code).toBe(0);
      expect(second.out).toContain('replayed 0 dead letter(s)');
      expect(second.out).toContain('skipped 1 already replayed');
      // The topic holds the two events and the one replay — nothing more.
      expect(await reader.readAll(`${env.KAFKA_TOPIC_PREFIX}${topic}`)).toHaveLength(3);
      expect(handled.items).toHaveLength(2);
    },
    scaledMs(180_000),
  );
});
