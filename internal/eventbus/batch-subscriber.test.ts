import { randomBytes } from 'node:crypto';
import { batchSubscriberContract } from './batch-subscriber.contract.ts';
import { MemoryEventBus } from './memory-event-bus.ts';
import { PrefixedEventBus } from './prefixed-event-bus.ts';

const topic = (base: string) => `${base}-${randomBytes(4).toString('hex')}`;

batchSubscriberContract(
  'memory',
  { waitMs: 5_000, topic },
  () => new MemoryEventBus({ partitions: 3, redeliveryDelayMs: 10 }),
);
batchSubscriberContract(
  'prefixed memory',
  { waitMs: 5_000, topic },
  () => new PrefixedEventBus(new MemoryEventBus({ partitions: 3, redeliveryDelayMs: 10 }), 'p.'),
);
