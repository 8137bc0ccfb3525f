import { sql, type RawBuilder } from 'kysely';

/**
 * Keyset ("seek") pagination for the list endpoints: rows are ordered newest first by (timestamp, id), and the next
 * page starts strictly after the last row of the previous one. Unlike OFFSET, a row inserted while a client pages
 * lands before page one, so pages never repeat or skip a row.
 */

/** Where a page ends: the row's timestamp at full (microsecond) precision, as UTC ISO text, and its id. */
export interface PageKey {
  at: string;
  id: string;
}

/** Which page: at most `limit` rows, after `after` when given (the first page otherwise). */
export interface PageRequest {
  limit: number;
  after?: PageKey | undefined;
}

export interface Page<T> {
  items: T[];
  /** The key to continue from, or null when this was the last page. */
  next: PageKey | null;
}

/** `2026-11-22T12:00:00.123456Z`: what `pageKeyAt` selects, and the only timestamp form a PageKey may carry. */
export const PAGE_KEY_AT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

/**
 * A timestamp column as PageKey text. JavaScript dates hold milliseconds but Postgres stores microseconds: the key
 * keeps them all, so a row written with sub-millisecond precision is never skipped or repeated.
 */
export function pageKeyAt(column: string): RawBuilder<string> {
  return sql<string>`to_char(${sql.ref(column)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

/** `(column, idColumn) < key`: the rows after `key` in newest-first order (a row comparison, served by a btree index). */
export function olderThan(column: string, idColumn: string, key: PageKey): RawBuilder<boolean> {
  return sql<boolean>`(${sql.ref(column)}, ${sql.ref(idColumn)}) < (${key.at}::timestamptz, ${key.id}::uuid)`;
}

/**
 * Rows fetched with `limit + 1` → the page: the extra row only says another page exists; the key is the last kept
 * row's. `page_at` is the `pageKeyAt` column the query selected.
 */
export function toPage<R extends { id: string; page_at: string }, T>(
  rows: R[],
  limit: number,
  item: (row: R) => T,
): Page<T> {
  const kept = rows.slice(0, limit);
  const last = kept.at(-1);
  return { items: kept.map(item), next: rows.length > limit && last ? { at: last.page_at, id: last.id } : null };
}
