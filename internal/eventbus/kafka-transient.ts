/**
 * Which Kafka failures are worth waiting out. kafkajs marks protocol errors such as UNKNOWN_TOPIC_OR_PARTITION ("This
 * server does not host this topic-partition", seen for a moment after a topic is created), LEADER_NOT_AVAILABLE,
 * NOT_COORDINATOR and COORDINATOR_LOAD_IN_PROGRESS as `retriable`; after its own few retries it wraps them in a
 * non-retriable KafkaJSNumberOfRetriesExceeded, so the whole cause chain is looked at, not only the outer error.
 */

/** kafkajs errors that mean "the broker is not reachable or not ready yet" whatever their `retriable` flag says. */
const UNREACHABLE = new Set([
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSStaleTopicMetadataAssignment',
  'KafkaJSTimeout',
  'KafkaJSLockTimeout',
]);

/** Our own: a consumer that did not join its group in time (a broker restarting, a slow rebalance). */
export class GroupJoinTimeoutError extends Error {
  override readonly name = 'GroupJoinTimeoutError';
  constructor(timeoutMs: number) {
    super(`did not join consumer group within ${timeoutMs} ms`);
  }
}

/**
 * True when `error`, or anything in its cause chain, is a failure that kafkajs marks retriable or that means the
 * broker is (still) unreachable. Configuration and authorisation errors (bad replication factor, SASL, ACLs) are not.
 */
export function isTransientKafkaError(error: unknown): boolean {
  const seen = new Set<unknown>();
  const pending: unknown[] = [error];
  while (pending.length > 0) {
    const current = pending.pop();
    if (!(current instanceof Error) || seen.has(current)) continue;
    seen.add(current);
    if (current instanceof GroupJoinTimeoutError || UNREACHABLE.has(current.name)) return true;
    const fields = current as Error & { retriable?: unknown; originalError?: unknown; errors?: unknown };
    if (fields.retriable === true) return true;
    pending.push(fields.cause, fields.originalError);
    if (Array.isArray(fields.errors)) pending.push(...fields.errors);
  }
  return false;
}
