import { randomUUID } from 'node:crypto';
import { createDatabase } from '../internal/db/database.ts';
import { migrateUp } from '../internal/db/migrate.ts';
import { KafkaEventBus } from '../internal/eventbus/kafka-event-bus.ts';
import { enqueue } from '../internal/outbox/outbox.ts';
import { OutboxRelay } from '../internal/outbox/outbox-relay.ts';
import { silentLogger } from '../internal/platform/logger.ts';
import { createTestDatabase } from '../tests/support/postgres.ts';
import { uniqueTopic, deleteTopics } from '../tests/support/kafka.ts';
const tdb = await createTestDatabase('relaylat'); await migrateUp(tdb.url, silentLogger);
const h = createDatabase(tdb.url);
const bus = new KafkaEventBus({ brokers: ['127.0.0.1:9092'], clientId: 'lat', partitions: 3, logger: silentLogger });
const relay = new OutboxRelay({ db: h.db, pool: h.pool, bus, logger: silentLogger });
relay.start();
const topic = uniqueTopic('rl');
const lat: number[] = []; let resolveNext: (() => void) | undefined;
await bus.subscribe(topic, uniqueTopic('g'), async (m) => { const e = JSON.parse(m.value); lat.push(Date.now() - e.payload.t); resolveNext?.(); });
await new Promise((r) => setTimeout(r, 1000));
for (let i = 0; i < 60; i++) {
  const got = new Promise<void>((r) => (resolveNext = r));
  await h.db.transaction().execute((trx) => enqueue(trx, [{ topic, key: 'k', event: { id: randomUUID(), type: 't', occurredAt: new Date().toISOString(), payload: { t: Date.now() } } }]));
  await got;
  await new Promise((r) => setTimeout(r, 30));
}
lat.sort((a, b) => a - b);
console.log({ p50: lat[30], p90: lat[54], max: lat[59] });
await relay.stop(); await bus.close(); await h.close(); await tdb.drop(); await deleteTopics([topic]);
