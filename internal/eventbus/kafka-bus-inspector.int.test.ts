import { createLogger } from '../platform/logger.ts';
import { testKafkaBrokers } from '../../tests/support/kafka.ts';
import { busInspectorContract } from './bus-inspector.contract.ts';
import { KafkaEventBus } from './kafka-event-bus.ts';
import { PrefixedEventBus } from './prefixed-event-bus.ts';

const bus = () =>
  new KafkaEventBus({
    brokers: testKafkaBrokers(),
    clientId: 'deliverygo-inspector-test',
    partitions: 2,
    logger: createLogger('error', 'bus-inspector-kafka-test'),
    redeliveryDelayMs: 50,
  });

busInspectorContract('kafka (admin API: fetchOffsets vs fetchTopicOffsets)', { partitions: 2, waitMs: 30_000 }, bus);
busInspectorContract(
  'kafka behind a topic prefix',
  { partitions: 2, waitMs: 30_000 },
  () => new PrefixedEventBus(bus(), 'inspector.'),
);
