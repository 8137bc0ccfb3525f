import { describe, expect, it } from 'vitest';
import {
  DEPENDENCY_UNAVAILABLE,
  dependencyFailure,
  isDependencyOutage,
  outageOf,
  tagDependency,
} from './dependency-errors.ts';
import { AppError, conflict, unavailable } from './errors.ts';

const withFields = (message: string, fields: Record<string, unknown>): Error =>
  Object.assign(new Error(message), fields);

describe('outageOf', () => {
  it('recognises Postgres outages by SQLSTATE and by pg/pg-pool message', () => {
    expect(
      outageOf(withFields('terminating connection due to administrator command', { code: '57P01', severity: 'FATAL' })),
    ).toBe('postgres');
    expect(outageOf(withFields('connection failure', { code: '08006', severity: 'FATAL' }))).toBe('postgres');
    expect(outageOf(new Error('Connection terminated unexpectedly'))).toBe('postgres');
    expect(outageOf(new Error('timeout exceeded when trying to connect'))).toBe('postgres');
  });

  it('leaves constraint violations, bad input and bugs alone', () => {
    expect(outageOf(withFields('duplicate key value', { code: '23505', severity: 'ERROR' }))).toBeUndefined();
    expect(
      outageOf(withFields('invalid byte sequence for encoding "UTF8": 0x00', { code: '22021', severity: 'ERROR' })),
    ).toBeUndefined();
    expect(outageOf(new TypeError('x is undefined'))).toBeUndefined();
    expect(outageOf('string')).toBeUndefined();
  });

  it('recognises ioredis and kafkajs failures', () => {
    expect(
      outageOf(
        Object.assign(new Error('Reached the max retries per request limit (which is 1).'), {
          name: 'MaxRetriesPerRequestError',
        }),
      ),
    ).toBe('redis');
    expect(outageOf(new Error('Command timed out'))).toBe('redis');
    expect(outageOf(new Error('Connection is closed.'))).toBe('redis');
    expect(outageOf(Object.assign(new Error('Connection error'), { name: 'KafkaJSConnectionError' }))).toBe('kafka');
  });

  it('names the adapter of a tagged socket error, and calls an untagged one "network"', () => {
    const refused = () => withFields('connect ECONNREFUSED 127.0.0.1:1', { code: 'ECONNREFUSED' });
    expect(outageOf(refused())).toBe('network');
    expect(outageOf(tagDependency(refused(), 'postgres'))).toBe('postgres');
    expect(outageOf(new AggregateError([refused(), refused()], 'all refused'))).toBe('network');
    expect(outageOf(new Error('wrapped', { cause: tagDependency(refused(), 'redis') }))).toBe('redis');
  });
});

describe('dependencyFailure', () => {
  it('is the 503 dependency.unavailable naming the dependency, keeping the cause', () => {
    const cause = new Error('Connection terminated unexpectedly');
    const failure = dependencyFailure(cause);
    expect(failure).toMatchObject({
      kind: 'unavailable',
      slug: DEPENDENCY_UNAVAILABLE,
      details: { dependency: 'postgres' },
    });
    expect(failure?.cause).toBe(cause);
  });

  it('leaves AppErrors to their own kind', () => {
    expect(dependencyFailure(conflict('order.x', 'no', {}))).toBeUndefined();
  });
});

describe('isDependencyOutage (what consumers wait out within their retry budget)', () => {
  it('is true for driver outages and 503-kind errors, false for bugs, bad input and domain conflicts', () => {
    expect(
      isDependencyOutage(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })),
    ).toBe(true);
    expect(isDependencyOutage(new Error('Connection is closed.'))).toBe(true);
    expect(isDependencyOutage(unavailable('eventbus.publish_failed', 'cannot publish'))).toBe(true);
    expect(isDependencyOutage(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBe(false);
    expect(isDependencyOutage(conflict('order.wrong_state', 'not ready'))).toBe(false);
    expect(isDependencyOutage(new AppError('internal', 'x', 'bug'))).toBe(false);
    expect(isDependencyOutage('nope')).toBe(false);
  });
});
