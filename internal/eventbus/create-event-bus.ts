import type { Config } from '../config/config.ts';
import type { Logger } from '../platform/logger.ts';
import type { EventBus, KeyPartitioner } from './event-bus.ts';
import { KafkaEventBus } from './kafka-event-bus.ts';
import { MemoryEventBus } from './memory-event-bus.ts';
import { PrefixedEventBus } from './prefixed-event-bus.ts';

export interface ConfiguredEventBus {
  bus: EventBus & KeyPartitioner;
  /** Which adapter `config` selected, for logs and `/health`. */
  adapter: 'kafka' | 'memory';
}

/**
 * The event bus the configuration asks for: Kafka when KAFKA_BROKERS is set, otherwise the in-process bus.
 * Composition roots call this once; nothing else picks an adapter.
 */
export function createEventBus(config: Config, logger: Logger): ConfiguredEventBus {
  const { adapter, bus } = createAdapter(config, logger);
  // KAFKA_TOPIC_PREFIX is applied here and nowhere else.
  return { adapter, bus: config.kafka.topicPrefix ? new PrefixedEventBus(bus, config.kafka.topicPrefix) : bus };
}

function createAdapter(config: Config, logger: Logger): ConfiguredEventBus {
  if (config.kafkaBrokers) {
    return {
      adapter: 'kafka',
      bus: new KafkaEventBus({
        brokers: config.kafkaBrokers,
        clientId: config.kafka.clientId,
        partitions: config.kafka.partitions,
        startDeadlineMs: config.kafka.startDeadlineMs,
        publishDeadlineMs: config.kafka.publishDeadlineMs,
        logger,
      }),
    };
  }
  return { adapter: 'memory', bus: new MemoryEventBus({ partitions: config.kafka.partitions, logger }) };
}
