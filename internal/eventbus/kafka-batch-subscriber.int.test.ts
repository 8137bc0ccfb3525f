import { createLogger } from '../platform/logger.ts';
import { testKafkaBrokers, uniqueTopic } from '../../tests/support/kafka.ts';
import { batchSubscriberContract } from './batch-subscriber.contract.ts';
import { KafkaEventBus } from './kafka-event-bus.ts';

const logger = createLogger('error', 'eventbus-kafka-batch-test');

batchSubscriberContract(
  'kafka',
  { waitMs: 30_000, topic: uniqueTopic },
  () =>
    new KafkaEventBus({
      brokers: testKafkaBrokers(),
      clientId: 'deliverygo-batch-test',
      partitions: 3,
      logger,
      redeliveryDelayMs: 50,
    }),
);
