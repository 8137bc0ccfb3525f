import type { z } from 'zod';
import { parseEnvelope } from '../eventbus/middleware.ts';
import { topics, type PayloadOf, type TopicName } from '../events/catalog.ts';
import { compareBronze, type BronzeRow } from './bronze.ts';

/** A bronze row whose event parsed: envelope and payload validated against the catalog's schema for its topic. */
export interface SilverEvent<T extends TopicName = TopicName> {
  source: BronzeRow;
  topic: T;
  eventId: string;
  occurredAt: Date;
  payload: PayloadOf<T>;
}

/** Why a row left the pipeline: the check that failed, and what it found. */
export type QuarantineStage = 'schema' | 'duplicate' | 'nulls' | 'ranges' | 'service_area' | 'lifecycle' | 'orphans';

export interface QuarantinedRow {
  source: BronzeRow;
  stage: QuarantineStage;
  reason: string;
}

export interface ParsedSilver {
  events: SilverEvent[];
  quarantined: QuarantinedRow[];
  /** Bronze rows that repeat an event already in silver byte for byte (a republish): counted, kept in bronze only. */
  duplicates: BronzeRow[];
}

const byWireName = new Map<string, { name: TopicName; schema: z.ZodType }>(
  (Object.keys(topics) as TopicName[]).map((name) => [topics[name].name, { name, schema: topics[name].schema }]),
);

/**
 * Bronze → silver, step one: parses each row (JSON, envelope, the topic's payload schema) and de-duplicates by event
 * id, keeping the first row in the export's order. Nothing is dropped silently: a row that does not parse is
 * quarantined with the reason, and so is a second row with a known event id but other bytes (an id reused for another
 * fact); a byte-identical repeat (the outbox relay republishing after a lost acknowledgement) is only counted.
 */
export function parseSilver(rows: readonly BronzeRow[]): ParsedSilver {
  const events: SilverEvent[] = [];
  const quarantined: QuarantinedRow[] = [];
  const seen = new Map<string, string>();
  const duplicates: BronzeRow[] = [];
  for (const source of [...rows].sort(compareBronze)) {
    const quarantine = (reason: string, stage: QuarantineStage = 'schema') =>
      quarantined.push({ source, stage, reason });
    const spec = byWireName.get(source.topic);
    if (!spec) {
      quarantine(`unknown topic ${source.topic}`);
      continue;
    }
    const envelope = parseEnvelope({ ...source, value: source.value });
    if (!envelope.ok) {
      quarantine(envelope.reason);
      continue;
    }
    const { event } = envelope;
    if (event.type !== source.topic) {
      quarantine(`event type ${event.type} on topic ${source.topic}`);
      continue;
    }
    const payload = spec.schema.safeParse(event.payload);
    if (!payload.success) {
      const issues = payload.error.issues.map(
        (i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`,
      );
      quarantine(`invalid payload for ${event.type}: ${issues.join('; ')}`);
      continue;
    }
    const earlier = seen.get(event.id);
    if (earlier !== undefined) {
      if (earlier === source.valueSha256) duplicates.push(source);
      else quarantine(`event id ${event.id} already seen with different content`, 'duplicate');
      continue;
    }
    seen.set(event.id, source.valueSha256);
    events.push({
      source,
      topic: spec.name,
      eventId: event.id,
      occurredAt: new Date(event.occurredAt),
      payload: payload.data as PayloadOf<TopicName>,
    });
  }
  return { events, quarantined, duplicates };
}

/** Narrows a silver event to one topic. */
export const isTopic = <T extends TopicName>(event: SilverEvent, topic: T): event is SilverEvent<T> =>
  event.topic === topic;
