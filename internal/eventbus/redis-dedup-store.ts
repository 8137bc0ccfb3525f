import type { Redis } from 'ioredis';
import type { DedupStore } from './dedup-store.ts';

export interface RedisDedupStoreOptions {
  /** Key prefix, so tests and deployments can share a Redis. Default `dedup`. Keys are `<prefix>:<group>:<id>`. */
  prefix?: string;
  /** How long an id is remembered. Default 7 days — longer than any redelivery we expect (retention, DLQ replays). */
  ttlSeconds?: number;
}

/** Dedup ids in Redis: one key per (group, id), written with SET NX EX so the first writer's TTL stands. */
export class RedisDedupStore implements DedupStore {
  private readonly prefix: string;
  private readonly ttlSeconds: number;

  constructor(
    private readonly redis: Redis,
    options: RedisDedupStoreOptions = {},
  ) {
    this.prefix = options.prefix ?? 'dedup';
    this.ttlSeconds = options.ttlSeconds ?? 7 * 24 * 3600;
    if (!Number.isInteger(this.ttlSeconds) || this.ttlSeconds < 1) throw new RangeError('ttlSeconds must be a positive integer');
  }

  async seen(group: string, id: string): Promise<boolean> {
    return (await this.redis.exists(this.key(group, id))) === 1;
  }

  async remember(group: string, id: string): Promise<void> {
    await this.redis.set(this.key(group, id), '1', 'EX', this.ttlSeconds, 'NX');
  }

  private key(group: string, id: string): string {
    return `${this.prefix}:${group}:${id}`;
  }
}
