/**
 * One archived message as the export reads it from `event_archive` (migrations/0012): the bronze row, raw.
 * `offset` stays a string (Kafka offsets are 64-bit).
 */
export interface BronzeRow {
  topic: string;
  partition: number;
  offset: string;
  key: string;
  headers: Record<string, string>;
  value: string;
  valueSha256: string;
  eventId: string | null;
  eventType: string | null;
  occurredAt: Date | null;
  eventAt: Date;
  consumedAt: Date;
}

/** `YYYY-MM-DD` (UTC) of an instant: the partition a row belongs to. */
export const utcDate = (at: Date): string => at.toISOString().slice(0, 10);

/**
 * The export's one row order, everywhere (files, dedup, lifecycle): event instant, then topic, partition, offset as a
 * number, then the bytes' hash — total, so a rerun writes the same rows in the same order.
 */
export function compareBronze(a: BronzeRow, b: BronzeRow): number {
  return (
    a.eventAt.getTime() - b.eventAt.getTime() ||
    cmp(a.topic, b.topic) ||
    a.partition - b.partition ||
    cmpBig(a.offset, b.offset) ||
    cmp(a.valueSha256, b.valueSha256)
  );
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const cmpBig = (a: string, b: string): number => {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
};
