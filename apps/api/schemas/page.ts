import { z } from '@hono/zod-openapi';
import { PAGE_KEY_AT, type Page, type PageKey } from '../../../internal/db/keyset-page.ts';
import { queryNumber } from './common.ts';

/**
 * The list endpoints' paging, one way for all: `limit` and an opaque `cursor` in, `{ items, next_cursor }` out.
 * The cursor is base64url JSON of the last row's key; clients only pass it back.
 */

export const LIST_LIMIT_DEFAULT = 50;
export const LIST_LIMIT_MAX = 500;

const CursorKeySchema = z.strictObject({ at: z.string().regex(PAGE_KEY_AT), id: z.uuid() });

/** The cursor a client passes back for the page after `key`. */
export function encodeCursor(key: PageKey): string {
  return Buffer.from(JSON.stringify({ at: key.at, id: key.id })).toString('base64url');
}

/** The key inside a cursor, or undefined when it is not one this API wrote. */
export function decodeCursor(cursor: string): PageKey | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  try {
    const parsed = CursorKeySchema.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    return parsed.success && !Number.isNaN(Date.parse(parsed.data.at)) ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The paging query parameters every list route takes (spread into its strict query object). */
export const pageQuery = {
  limit: queryNumber({ integer: true, minimum: 1, maximum: LIST_LIMIT_MAX, default: LIST_LIMIT_DEFAULT }).openapi({
    description: `Items per page, 1–${LIST_LIMIT_MAX} (default ${LIST_LIMIT_DEFAULT}).`,
    example: 20,
  }),
  cursor: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined) return undefined;
      const key = decodeCursor(value);
      if (key === undefined)
        ctx.addIssue({ code: 'custom', message: 'not a cursor from this API: pass back a next_cursor unchanged' });
      return key;
    })
    .openapi({ type: 'string', description: '`next_cursor` of the previous page; omit for the first page.' }),
};

/** The answer of a list route: a page of `item`s and the cursor of the next page (null on the last). */
export const pageSchema = <T extends z.ZodType>(item: T, name: string) =>
  z
    .object({
      items: z.array(item),
      next_cursor: z
        .string()
        .nullable()
        .openapi({ description: 'Pass as `cursor` for the next page; null when this is the last.' }),
    })
    .openapi(name);

/** A page of rows → its JSON answer. */
export function pageJson<R, J>(page: Page<R>, item: (row: R) => J): { items: J[]; next_cursor: string | null } {
  return { items: page.items.map(item), next_cursor: page.next ? encodeCursor(page.next) : null };
}
