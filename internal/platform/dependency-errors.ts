/**
 * Telling "a server we depend on is away" from "a bug". Driver errors (pg, ioredis, kafkajs, the socket layer) are
 * recognised here, once, and become `dependency.unavailable` — a 503 with `Retry-After` — so clients can tell an outage
 * (retry later) from a defect (report it). Adapters may tag an error with its dependency (`tagDependency`) where the
 * error alone cannot say which server it came from (a refused TCP connection looks the same for every driver).
 */
import { AppError, unavailable } from './errors.ts';

/** The servers a request may wait on. */
export type Dependency = 'postgres' | 'redis' | 'kafka';

/** The slug every driver-level outage is answered with; `details.dependency` names the server. */
export const DEPENDENCY_UNAVAILABLE = 'dependency.unavailable';

const TAG = Symbol.for('deliverygo.dependency');

/** Marks `error` as coming from `dependency` (when it is an object) and returns it, for `throw tagDependency(e, 'postgres')`. */
export function tagDependency<E>(error: E, dependency: Dependency): E {
  if (typeof error === 'object' && error !== null && !(TAG in error)) {
    Object.defineProperty(error, TAG, { value: dependency, enumerable: false });
  }
  return error;
}

/** Socket-level failures: the server is not there (or not reachable), never the request's fault. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
]);

/**
 * Postgres SQLSTATEs that mean "the server is away or refusing sessions": class 08 (connection exception), 57P01-03
 * (admin/crash shutdown, cannot connect now), 53300 (too many connections).
 */
const isPostgresOutageCode = (code: string): boolean =>
  code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03' || code === '53300';

/** Messages of pg and pg-pool when the connection dies or cannot be had in time. */
const PG_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|not queryable|Client was closed|Query read timeout/i;

/** Messages of ioredis when Redis is away: retries exhausted, the command timed out, the connection is closed. */
const REDIS_MESSAGES =
  /max retries per request limit|Command timed out|Connection is closed|Stream isn't writeable|^LOADING |^MASTERDOWN |^TRYAGAIN /;

const field = (error: object, name: string): unknown => (error as Record<string, unknown>)[name];

/** Which dependency `error` says is away, or undefined when it is not an outage (a bug, a constraint, bad input). */
export function outageOf(error: unknown): Dependency | 'network' | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  // Tagged by an adapter: every failure to get a connection is an outage of that server.
  const tagged = (error as { [TAG]?: Dependency })[TAG];
  if (tagged !== undefined) return tagged;
  const name = typeof field(error, 'name') === 'string' ? (field(error, 'name') as string) : '';
  const message = typeof field(error, 'message') === 'string' ? (field(error, 'message') as string) : '';
  const code = typeof field(error, 'code') === 'string' ? (field(error, 'code') as string) : '';
  // pg's DatabaseError carries the server's severity beside its SQLSTATE.
  if (typeof field(error, 'severity') === 'string' && isPostgresOutageCode(code)) return 'postgres';
  if (PG_MESSAGES.test(message)) return 'postgres';
  if (name === 'MaxRetriesPerRequestError' || REDIS_MESSAGES.test(message)) return 'redis';
  if (name.startsWith('KafkaJS')) return 'kafka';
  const networkCode =
    NETWORK_CODES.has(code) || (error instanceof AggregateError && error.errors.some((e) => outageOf(e) !== undefined));
  if (networkCode) return 'network';
  const cause = field(error, 'cause');
  return cause !== undefined && cause !== error ? outageOf(cause) : undefined;
}

/**
 * `error` as the 503 `dependency.unavailable` when it is a dependency outage, else undefined. An `AppError` is left to
 * its own kind (undefined here): domain code already said what it means.
 */
export function dependencyFailure(error: unknown): AppError | undefined {
  if (error instanceof AppError) return undefined;
  const dependency = outageOf(error);
  if (dependency === undefined) return undefined;
  const what = dependency === 'network' ? 'a server this request needs' : dependency;
  const reason = error instanceof Error ? error.message : String(error);
  const failure = unavailable(
    DEPENDENCY_UNAVAILABLE,
    `${what} is unavailable, retry later${reason ? ` (${reason})` : ''}`,
    { dependency },
  );
  return Object.assign(failure, { cause: error });
}

/**
 * True when `error` says a server we depend on is away, so that trying again later may succeed: a driver-level outage
 * (`outageOf`), or an `AppError` of kind `unavailable` (e.g. `eventbus.publish_failed`, `dependency.unavailable`) —
 * the classification consumers use to decide between waiting an outage out and giving a message up.
 */
export function isDependencyOutage(error: unknown): boolean {
  if (error instanceof AppError) return error.kind === 'unavailable';
  return outageOf(error) !== undefined;
}
