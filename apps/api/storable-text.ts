import type { MiddlewareHandler } from 'hono';
import { errorBody, fieldPath, REQUEST_ERROR_CODES, type ErrorBody } from './error-handler.ts';

/**
 * Text Postgres cannot store: NUL (no `text` value may hold it: "invalid byte sequence for encoding UTF8: 0x00") and a
 * lone UTF-16 surrogate (JSON may escape one, `"\ud800"`, but it has no UTF-8 form). Found once, here, for every
 * string of a request — body fields at any depth, object keys, query parameters — so no route can forget it and no
 * such string reaches a query as a 500.
 */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** True when Postgres can store `text`. */
export const isStorableText = (text: string): boolean => !text.includes('\u0000') && !LONE_SURROGATE.test(text);

/**
 * The path (`items[2].name`) of the first string in `value` (a parsed JSON document) that Postgres cannot store.
 * Walks with its own stack, depth first in document order: JSON.parse takes nesting far deeper than the call stack
 * (a 2 MiB body of `[` is a million levels), and that must be a 400 from the validator, not a 500 from here.
 */
export function findUnstorableText(value: unknown, path: PropertyKey[] = []): string | undefined {
  if (allStorable(value, FAST_CHECK_DEPTH)) return undefined; // the common case, without allocating a node per value
  // Each node links to its parent (no path copied per node: nesting a million deep would make that quadratic);
  // `named`: an object member, whose name is checked just before its value, as a recursive walk would.
  interface Node {
    value: unknown;
    step?: PropertyKey;
    parent?: Node;
    named?: boolean;
  }
  const pathOf = (node: Node): PropertyKey[] => {
    const steps: PropertyKey[] = [];
    for (let n: Node | undefined = node; n?.parent; n = n.parent) steps.push(n.step!);
    return [...path, ...steps.reverse()];
  };
  const stack: Node[] = [{ value }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    if (node.named && !isStorableText(String(node.step))) return fieldPath(pathOf(node));
    const v = node.value;
    if (typeof v === 'string') {
      if (!isStorableText(v)) return fieldPath(pathOf(node)) || '(body)';
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    // Pushed last to first, so the first child is examined first.
    if (Array.isArray(v)) for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], step: i, parent: node });
    else {
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--)
        stack.push({ value: entries[i]![1], step: entries[i]![0], parent: node, named: true });
    }
  }
  return undefined;
}

/** How deep the allocation-free check looks before it leaves a document to the walk (bounded: it recurses). */
const FAST_CHECK_DEPTH = 64;

/** True when every string and member name within `depth` levels is storable; false when one is not, or it is deeper. */
function allStorable(value: unknown, depth: number): boolean {
  if (typeof value === 'string') return isStorableText(value);
  if (typeof value !== 'object' || value === null) return true;
  if (depth === 0) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!allStorable(value[i], depth - 1)) return false;
    return true;
  }
  const members = value as Record<string, unknown>;
  for (const name in members) {
    if (!Object.hasOwn(members, name)) continue;
    if (!isStorableText(name) || !allStorable(members[name], depth - 1)) return false;
  }
  return true;
}

/** The 400 answer for an unstorable string at `field`. */
export const invalidTextBody = (field: string, target: 'json' | 'query'): ErrorBody =>
  errorBody(
    REQUEST_ERROR_CODES.invalidText,
    `${field}: contains a NUL character or a lone UTF-16 surrogate, which cannot be stored`,
    field,
    { in: target },
  );

/** The deepest nesting a JSON body may have; the API's own documents nest 4 levels at most. */
export const MAX_JSON_DEPTH = 64;

/**
 * True when `text` (JSON or not) opens more than `max` arrays or objects at once, brackets inside strings aside.
 * One pass over the text, before any parse: JSON.parse takes a 2 MiB body of `[` (a million levels) but spends seconds
 * of CPU on it, and every walk after it would too.
 */
export function jsonNestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c)
        i++; // backslash: skip the escaped character
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x5b || ch === 0x7b) {
      if (++depth > max) return true;
    } else if (ch === 0x5d || ch === 0x7d) depth--;
  }
  return false;
}

/** The 400 answer for a body nested deeper than `MAX_JSON_DEPTH`. */
export const tooDeepBody = (): ErrorBody =>
  errorBody(REQUEST_ERROR_CODES.invalidInput, `the JSON body nests deeper than ${MAX_JSON_DEPTH} levels`, undefined, {
    in: 'json',
  });

const JSON_CONTENT_TYPE = /^application\/([a-z-.]+\+)?json(\s*;.*)?$/i;

/**
 * Refuses a request whose query or JSON body holds an unstorable string: 400 `request.invalid_text` naming the field.
 * It reads the JSON body through Hono's body cache, so the route's validator parses it once; a malformed body is left
 * to that validator (400 `request.malformed_body`).
 */
export function storableTextOnly(): MiddlewareHandler {
  return async (c, next) => {
    for (const [name, values] of Object.entries(c.req.queries())) {
      const bad = values.findIndex((v) => !isStorableText(v));
      if (bad !== -1 || !isStorableText(name))
        return c.json(invalidTextBody(values.length > 1 ? `${name}[${bad}]` : name, 'query'), 400);
    }
    if (
      c.req.method !== 'GET' &&
      c.req.method !== 'HEAD' &&
      JSON_CONTENT_TYPE.test(c.req.header('content-type') ?? '')
    ) {
      if (jsonNestsDeeperThan(await c.req.text(), MAX_JSON_DEPTH)) return c.json(tooDeepBody(), 400);
      let json: unknown;
      try {
        json = await c.req.json();
      } catch {
        return next(); // malformed: the validator answers it
      }
      // Hono re-parses the cached text on every json() call: the validator gets this parse instead.
      c.req.bodyCache.json = Promise.resolve(json);
      const field = findUnstorableText(json);
      if (field !== undefined) return c.json(invalidTextBody(field, 'json'), 400);
    }
    return next();
  };
}
