/**
 * Inspecting and replaying dead letters (`npm run dlq`). `withDeadLetter` (middleware.ts) parks a message that could
 * not be handled in `<topic>.dlq` as a `dead_letter` event carrying the original bytes, key, headers and the reason.
 *
 * Replaying republishes the original value, byte for byte, under its key and headers to the original topic
 * (consumers are idempotent, guarded by state — see event-bus.ts — so a message that was in fact handled before does
 * no harm), and then appends a `dead_letter.replayed` marker naming the dead letter (its DLQ partition and offset) to
 * the same DLQ topic. The markers are the record of what was replayed: a second replay skips marked dead letters, and
 * `list` shows them as replayed. A message that fails again after its replay is dead-lettered anew — a new, unmarked
 * dead letter.
 *
 * Failure windows: a crash between the republish and its marker leaves the dead letter unmarked, so the next replay
 * sends it once more (harmless: idempotent consumers). Two replays running at the same moment may both send it.
 */
import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '../platform/clock.ts';
import { deadLetterTopic, type Event, type EventBus, type RawPublisher, type ReceivedMessage } from './event-bus.ts';
import { DEAD_LETTER_TYPE, type DeadLetterPayload } from './middleware.ts';
import type { TopicReader } from './topic-reader.ts';

/** The type of the marker event appended to a DLQ topic for each replayed dead letter. */
export const DEAD_LETTER_REPLAYED_TYPE = 'dead_letter.replayed';

/** Header set on a replayed message: `<dlq topic>/<partition>/<offset>` of the dead letter it came from. */
export const REPLAYED_FROM_HEADER = 'x-dlq-replayed-from';

const DLQ_SUFFIX = deadLetterTopic('');

/** The payload of a `dead_letter.replayed` marker. */
export interface ReplayMarkerPayload {
  /** Where the replayed dead letter sits in the DLQ topic. */
  partition: number;
  offset: string;
  /** The dead letter's event id (the original event's id when it was readable). */
  eventId: string;
  originalTopic: string;
  replayedAt: string;
}

/** One dead letter as `list` shows it. */
export interface DeadLetter {
  /** The DLQ topic, its partition and offset: the dead letter's identity. */
  dlqTopic: string;
  partition: number;
  offset: string;
  /** The dead letter's event id: the original event's id, or a fresh UUID when the original was unreadable. */
  eventId: string;
  /** The original event's type, when its value is a readable event. */
  eventType: string | undefined;
  letter: DeadLetterPayload;
  /** When it was replayed (from its marker); undefined while pending. */
  replayedAt: string | undefined;
}

/** The dead letters of one DLQ topic. */
export interface DeadLetterTopic {
  dlqTopic: string;
  /** The topic whose failures land here. */
  originalTopic: string;
  letters: DeadLetter[];
  /** Messages in the DLQ topic that are neither dead letters nor markers (not written by this code base). */
  unreadable: number;
}

/** Which DLQ topic `topic` means: the DLQ topic itself, or the original topic whose DLQ it is. */
export function dlqTopicOf(topic: string): string {
  return topic.endsWith(DLQ_SUFFIX) ? topic : deadLetterTopic(topic);
}

/**
 * Reads the DLQ topics (every `*.dlq` topic, or the one of `topic`) with their dead letters and what was replayed.
 * A `topic` that has no DLQ topic yet gives an empty report for it.
 */
export async function listDeadLetters(
  reader: TopicReader,
  options: { topic?: string } = {},
): Promise<DeadLetterTopic[]> {
  const names = options.topic
    ? [dlqTopicOf(options.topic)]
    : (await reader.listTopics()).filter((name) => name.endsWith(DLQ_SUFFIX));
  const reports: DeadLetterTopic[] = [];
  for (const dlqTopic of names) reports.push(readDlqTopic(dlqTopic, await reader.readAll(dlqTopic)));
  return reports;
}

function readDlqTopic(dlqTopic: string, messages: readonly ReceivedMessage[]): DeadLetterTopic {
  const letters: DeadLetter[] = [];
  const replayed = new Map<string, string>();
  let unreadable = 0;
  for (const message of messages) {
    const event = parseJson(message.value) as Partial<Event> | undefined;
    if (event?.type === DEAD_LETTER_TYPE && isDeadLetterPayload(event.payload)) {
      letters.push({
        dlqTopic,
        partition: message.partition,
        offset: message.offset,
        eventId: String(event.id),
        eventType: eventTypeOf(event.payload.value),
        letter: event.payload,
        replayedAt: undefined,
      });
    } else if (event?.type === DEAD_LETTER_REPLAYED_TYPE && isMarker(event.payload)) {
      replayed.set(position(event.payload.partition, event.payload.offset), event.payload.replayedAt);
    } else {
      unreadable++;
    }
  }
  for (const letter of letters) letter.replayedAt = replayed.get(position(letter.partition, letter.offset));
  return {
    dlqTopic,
    originalTopic: dlqTopic.slice(0, -DLQ_SUFFIX.length),
    letters,
    unreadable,
  };
}

export interface ReplayOptions {
  /** Only this topic's dead letters (the original topic or its DLQ topic). Default: every DLQ topic. */
  topic?: string;
  /** Only the dead letter(s) with this event id. */
  id?: string;
  /** Report what would be replayed, publish nothing. */
  dryRun?: boolean;
  /**
   * Replay poison messages too (malformed: replaying them only dead-letters them again). Default false, except that
   * a poison message named by `id` is replayed.
   */
  includePoison?: boolean;
  clock?: Clock;
}

export interface ReplayReport {
  /** Replayed now (or, with `dryRun`, what would be). */
  replayed: DeadLetter[];
  /** Selected but replayed before: skipped. */
  alreadyReplayed: DeadLetter[];
  /** Selected but poison, skipped (see `includePoison`). */
  poison: DeadLetter[];
}

/**
 * Republishes the pending dead letters selected by `options` to their original topics, in DLQ order (per partition,
 * so dead letters of one key go back in the order they failed), each followed by its marker. See the file comment.
 */
export async function replayDeadLetters(
  reader: TopicReader,
  bus: Pick<EventBus, 'publish'> & RawPublisher,
  options: ReplayOptions = {},
): Promise<ReplayReport> {
  const clock = options.clock ?? systemClock;
  const report: ReplayReport = { replayed: [], alreadyReplayed: [], poison: [] };
  for (const topic of await listDeadLetters(reader, { topic: options.topic })) {
    for (const letter of topic.letters) {
      if (options.id !== undefined && letter.eventId !== options.id) continue;
      if (letter.replayedAt !== undefined) {
        report.alreadyReplayed.push(letter);
        continue;
      }
      if (letter.letter.kind === 'poison' && !options.includePoison && options.id === undefined) {
        report.poison.push(letter);
        continue;
      }
      report.replayed.push(letter);
      if (options.dryRun) continue;
      const { originalTopic, key, value, headers } = letter.letter;
      await bus.publishRaw(originalTopic, key, value, {
        ...(headers ?? {}),
        [REPLAYED_FROM_HEADER]: position(letter.partition, letter.offset, letter.dlqTopic),
      });
      const replayedAt = new Date(clock.now()).toISOString();
      const marker: ReplayMarkerPayload = {
        partition: letter.partition,
        offset: letter.offset,
        eventId: letter.eventId,
        originalTopic,
        replayedAt,
      };
      await bus.publish(letter.dlqTopic, key, {
        id: randomUUID(),
        type: DEAD_LETTER_REPLAYED_TYPE,
        occurredAt: replayedAt,
        payload: marker,
      });
      letter.replayedAt = replayedAt;
    }
  }
  return report;
}

function position(partition: number, offset: string, topic?: string): string {
  return topic === undefined ? `${partition}/${offset}` : `${topic}/${partition}/${offset}`;
}

function parseJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

function eventTypeOf(value: string): string | undefined {
  const type = (parseJson(value) as { type?: unknown } | undefined)?.type;
  return typeof type === 'string' ? type : undefined;
}

function isDeadLetterPayload(value: unknown): value is DeadLetterPayload {
  const p = value as Partial<DeadLetterPayload> | null;
  return (
    typeof p?.originalTopic === 'string' &&
    typeof p.key === 'string' &&
    typeof p.value === 'string' &&
    typeof p.reason === 'string' &&
    typeof p.kind === 'string'
  );
}

function isMarker(value: unknown): value is ReplayMarkerPayload {
  const p = value as Partial<ReplayMarkerPayload> | null;
  return typeof p?.partition === 'number' && typeof p.offset === 'string' && typeof p.replayedAt === 'string';
}
