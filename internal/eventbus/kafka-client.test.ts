import { createRequire } from 'node:module';
import { describe, expect, it, vi } from 'vitest';
import { fixKafkajsIdleLoop } from './kafka-client.ts';

// kafkajs' per-connection request queue (internal, CommonJS): the class the fix patches.
const RequestQueue = createRequire(import.meta.url)('kafkajs/src/network/requestQueue/index.js') as new (
  options: Record<string, unknown>,
) => {
  pending: unknown[];
  inflight: Map<number, unknown>;
  throttledUntil: number;
  throttleCheckTimeoutId: unknown;
  push(request: { entry: Entry; expectResponse: boolean; sendRequest(): void }): void;
  maybeThrottle(ms: number): void;
  checkPendingRequests(): void;
  destroy(): void;
};

/** A queued request's entry as kafkajs' connection makes it: the promise it settles. */
interface Entry {
  correlationId: number;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}
const entry = (correlationId: number): Entry => ({ correlationId, resolve() {}, reject() {} });

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const queue = () =>
  new RequestQueue({
    maxInFlightRequests: 1,
    requestTimeout: 30_000,
    enforceRequestTimeout: false,
    clientId: 't',
    broker: 'b',
    logger: quiet,
  });

describe('fixKafkajsIdleLoop', () => {
  it('leaves an idle queue without a timer (kafkajs re-arms one every millisecond)', () => {
    fixKafkajsIdleLoop();
    const q = queue();
    q.checkPendingRequests(); // what kafkajs runs after every answer
    expect(q.throttleCheckTimeoutId).toBeNull();
    q.destroy();
  });

  it('still sends a request held back by a throttle once the throttle ends', async () => {
    fixKafkajsIdleLoop();
    const q = queue();
    const sent = vi.fn();
    q.maybeThrottle(30);
    q.push({ entry: entry(1), expectResponse: false, sendRequest: sent });
    expect(sent).not.toHaveBeenCalled();
    expect(q.pending).toHaveLength(1);
    await vi.waitFor(() => expect(sent).toHaveBeenCalledOnce(), { timeout: 5_000 });
    expect(q.pending).toHaveLength(0);
    expect(q.throttleCheckTimeoutId).toBeNull(); // and then stops
    q.destroy();
  });

  it('still sends a request held back by the in-flight limit when the one in flight is answered', () => {
    fixKafkajsIdleLoop();
    const q = queue();
    const first = vi.fn();
    const second = vi.fn();
    q.push({ entry: entry(1), expectResponse: true, sendRequest: first });
    q.push({ entry: entry(2), expectResponse: true, sendRequest: second });
    expect(first).toHaveBeenCalledOnce();
    expect(second).not.toHaveBeenCalled();
    (q as unknown as { fulfillRequest(r: object): void }).fulfillRequest({ correlationId: 1, payload: null, size: 0 });
    expect(second).toHaveBeenCalledOnce();
    q.destroy();
  });
});
