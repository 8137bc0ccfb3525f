import { afterAll } from 'vitest';
import { silentLogger } from '../platform/logger.ts';
import { testKafkaBrokers } from '../../tests/support/kafka.ts';
import { KafkaEventBus } from './kafka-event-bus.ts';
import { KafkaTopicReader } from './kafka-topic-reader.ts';
import { topicReaderContract } from './topic-reader.contract.ts';

const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  await Promise.all(closers.map((close) => close()));
});

topicReaderContract('kafka', async () => {
  const brokers = testKafkaBrokers();
  const bus = new KafkaEventBus({
    brokers,
    clientId: 'deliverygo-topic-reader-test',
    partitions: 3,
    logger: silentLogger,
  });
  const reader = new KafkaTopicReader({ brokers, clientId: 'deliverygo-topic-reader-test', logger: silentLogger });
  closers.push(
    () => bus.close(),
    () => reader.close(),
  );
  return { bus, reader };
});
