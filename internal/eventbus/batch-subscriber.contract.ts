/**
 * The contract of the optional batch capability (batch-subscriber.ts), run against every adapter that offers it.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { BatchSubscriber } from './batch-subscriber.ts';
import type { EventBus, ReceivedMessage } from './event-bus.ts';

type Bus = EventBus & BatchSubscriber;

const event = (n: number) => ({
  id: randomUUID(),
  type: 'test.batch',
  occurredAt: new Date().toISOString(),
  payload: { n },
});
const nOf = (m: ReceivedMessage) => (JSON.parse(m.value) as { payload: { n: number } }).payload.n;

async function until(check: () => boolean, what: string, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function batchSubscriberContract(
  name: string,
  options: { waitMs: number; topic: (base: string) => string },
  create: () => Bus,
): void {
  describe(`BatchSubscriber contract: ${name}`, () => {
    it('delivers a backlog in batches of one partition each, at most maxBatch, keeping per-key order', async () => {
      const bus = create();
      const topic = options.topic('batch.backlog');
      try {
        const total = 600;
        await bus.publishAll(Array.from({ length: total }, (_, n) => ({ topic, key: `k${n % 7}`, event: event(n) })));
        const batches: ReceivedMessage[][] = [];
        await bus.subscribeBatch(topic, 'g', async (messages) => void batches.push([...messages]), { maxBatch: 100 });
        await until(() => batches.reduce((sum, b) => sum + b.length, 0) >= total, 'every message', options.waitMs);
        expect(batches.reduce((sum, b) => sum + b.length, 0)).toBe(total);
        for (const b of batches) {
          expect(b.length).toBeLessThanOrEqual(100);
          expect(new Set(b.map((m) => m.partition)).size).toBe(1);
        }
        expect(Math.max(...batches.map((b) => b.length))).toBeGreaterThan(1);
        const byKey = new Map<string, number[]>();
        for (const m of batches.flat()) byKey.set(m.key, [...(byKey.get(m.key) ?? []), nOf(m)]);
        for (const ns of byKey.values()) expect(ns).toEqual([...ns].sort((a, b) => a - b));
      } finally {
        await bus.close();
      }
    });

    it('redelivers a failed batch from its first message, before anything later of its partition', async () => {
      const bus = create();
      const topic = options.topic('batch.retry');
      try {
        await bus.publishAll(Array.from({ length: 20 }, (_, n) => ({ topic, key: 'one-key', event: event(n) })));
        const seen: number[][] = [];
        let failed = false;
        await bus.subscribeBatch(
          topic,
          'g',
          async (messages) => {
            seen.push(messages.map(nOf));
            if (!failed && messages.some((m) => nOf(m) >= 5)) {
              failed = true;
              throw new Error('fail once');
            }
          },
          { maxBatch: 8 },
        );
        await until(() => seen.flat().includes(19) && failed, 'the last message', options.waitMs);
        const failedIndex = seen.findIndex((b) => b.some((n) => n >= 5));
        const retried = seen[failedIndex + 1]!;
        expect(retried[0]).toBe(seen[failedIndex]![0]); // from the failed batch's first message again
        const delivered = seen.filter((_, i) => i !== failedIndex).flat();
        expect(delivered).toEqual(Array.from({ length: 20 }, (_, n) => n)); // every message once, in order
      } finally {
        await bus.close();
      }
    });

    it('acknowledges handled batches: the group resumes after them', async () => {
      const topic = options.topic('batch.commit');
      const first = create();
      const got: number[] = [];
      try {
        await first.publishAll(Array.from({ length: 10 }, (_, n) => ({ topic, key: `k${n}`, event: event(n) })));
        const sub = await first.subscribeBatch(topic, 'g', async (messages) => void got.push(...messages.map(nOf)));
        await until(() => got.length >= 10, 'the first ten', options.waitMs);
        await sub.close();
        await first.publishAll(Array.from({ length: 5 }, (_, i) => ({ topic, key: `k${i}`, event: event(100 + i) })));
        const again: number[] = [];
        await first.subscribeBatch(topic, 'g', async (messages) => void again.push(...messages.map(nOf)));
        await until(() => again.length >= 5, 'the new five', options.waitMs);
        await new Promise((r) => setTimeout(r, 300));
        expect(again.sort((a, b) => a - b)).toEqual([100, 101, 102, 103, 104]);
      } finally {
        await first.close();
      }
    });

    it('is refused with a bad maxBatch', async () => {
      const bus = create();
      try {
        await expect(
          bus.subscribeBatch(options.topic('batch.bad'), 'g', async () => {}, { maxBatch: 0 }),
        ).rejects.toThrow(RangeError);
      } finally {
        await bus.close();
      }
    });
  });
}
