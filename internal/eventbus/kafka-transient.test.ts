import { describe, expect, it } from 'vitest';
import {
  KafkaJSConnectionError,
  KafkaJSError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
} from 'kafkajs';
import { GroupJoinTimeoutError, isTransientKafkaError } from './kafka-transient.ts';

/** A protocol error as kafkajs builds it from a broker error code. */
const protocolError = (type: string, retriable: boolean) =>
  new KafkaJSProtocolError({ type, code: 3, retriable, message: `${type} from the broker` } as never);

describe('isTransientKafkaError', () => {
  it('waits out what kafkajs marks retriable: an unknown topic-partition right after creation, no leader, coordinator loading', () => {
    expect(isTransientKafkaError(protocolError('UNKNOWN_TOPIC_OR_PARTITION', true))).toBe(true);
    expect(isTransientKafkaError(protocolError('LEADER_NOT_AVAILABLE', true))).toBe(true);
    expect(isTransientKafkaError(protocolError('COORDINATOR_LOAD_IN_PROGRESS', true))).toBe(true);
  });

  it('looks through the wrapper kafkajs puts around a retriable error once its own retries run out', () => {
    const cause = protocolError('NOT_COORDINATOR', true);
    // kafkajs' retrier: `new KafkaJSNonRetriableError(e, { cause: e.cause || e })`.
    const NonRetriable = KafkaJSNonRetriableError as unknown as new (e: Error, o: { cause: Error }) => Error;
    expect(isTransientKafkaError(new NonRetriable(cause, { cause }))).toBe(true);
    expect(
      isTransientKafkaError(new KafkaJSNumberOfRetriesExceeded(new Error('x'), { retryCount: 5, retryTime: 100 })),
    ).toBe(true);
    expect(isTransientKafkaError(new Error('outer', { cause: new KafkaJSError('inner') }))).toBe(true);
  });

  it('treats a refused connection and a group join that timed out as transient', () => {
    expect(isTransientKafkaError(new KafkaJSConnectionError('connect ECONNREFUSED 127.0.0.1:9092'))).toBe(true);
    expect(isTransientKafkaError(new GroupJoinTimeoutError(30_000))).toBe(true);
  });

  it('fails fast on configuration and authorisation errors and on anything that is not a Kafka error', () => {
    expect(isTransientKafkaError(protocolError('INVALID_REPLICATION_FACTOR', false))).toBe(false);
    expect(
      isTransientKafkaError(new KafkaJSNonRetriableError(protocolError('TOPIC_AUTHORIZATION_FAILED', false))),
    ).toBe(false);
    expect(isTransientKafkaError(new TypeError('cannot read properties of undefined'))).toBe(false);
    expect(isTransientKafkaError('a string')).toBe(false);
  });

  it('does not loop on an error that is its own cause', () => {
    const error = new Error('loop') as Error & { cause?: unknown };
    error.cause = error;
    expect(isTransientKafkaError(error)).toBe(false);
  });
});
