import fc from 'fast-check';
import { type JsonSchema, type OpenApiDocument, resolveRef } from './openapi-operations.ts';

/** Ids of rows that exist (the seeded data), so generated references hit real stores, riders, orders and batches. */
export interface IdPools {
  stores: readonly string[];
  riders: readonly string[];
  orders: readonly string[];
  batches: readonly string[];
}

/** Where a field or parameter name points: `store_id` → stores. Anything else: every pool. */
export function poolFor(pools: IdPools, name: string, path = ''): readonly string[] {
  const n = name.toLowerCase();
  const kind = n.startsWith('store')
    ? 'stores'
    : n.startsWith('rider')
      ? 'riders'
      : n.startsWith('order')
        ? 'orders'
        : n.startsWith('batch')
          ? 'batches'
          : n === 'id'
            ? (path.split('/')[1] as keyof IdPools | undefined)
            : undefined;
  const pool = kind && kind in pools ? pools[kind] : undefined;
  return pool ?? [...pools.stores, ...pools.riders, ...pools.orders, ...pools.batches];
}

/** A well-formed UUID: mostly one of `pool` (an existing row), else a random or a nil one. */
export function uuidArbitrary(pool: readonly string[]): fc.Arbitrary<string> {
  const random = fc.oneof(fc.uuid(), fc.constant('00000000-0000-0000-0000-000000000000'));
  return pool.length === 0 ? random : fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...pool) }, random);
}

/** Around the seeded stores (Monaco), so valid positions land where the data is. */
const HERE = { lat: 43.7384, lon: 7.4246 };
const MIN_TIME = Date.parse('2026-11-22T10:00:00.000Z');
const MAX_TIME = Date.parse('2026-11-22T14:00:00.000Z');

const typesOf = (schema: JsonSchema): string[] =>
  Array.isArray(schema.type) ? schema.type : typeof schema.type === 'string' ? [schema.type] : [];

/**
 * A value that `schema` accepts (best effort: formats, ranges, lengths, enums, required and optional properties),
 * biased towards realistic data: uuids of existing rows (by field name), positions near the seeded stores, instants
 * near the harness clock.
 */
export function validValue(
  document: OpenApiDocument,
  schema: JsonSchema,
  pools: IdPools,
  name = '',
  depth = 0,
): fc.Arbitrary<unknown> {
  const s = resolveRef(document, schema);
  if ('const' in s) return fc.constant(s.const);
  if (Array.isArray(s.enum)) return fc.constantFrom(...s.enum);
  if (Array.isArray(s.allOf)) return validValue(document, mergeAllOf(document, s.allOf), pools, name, depth);
  const alternatives = s.anyOf ?? s.oneOf;
  if (Array.isArray(alternatives))
    return fc.oneof(...alternatives.map((alt: JsonSchema) => validValue(document, alt, pools, name, depth + 1)));
  const types = typesOf(s);
  const nonNull = types.filter((t) => t !== 'null');
  const type = nonNull[0] ?? (s.properties ? 'object' : types[0]);
  let arbitrary: fc.Arbitrary<unknown>;
  switch (type) {
    case 'string':
      arbitrary = stringValue(s, pools, name);
      break;
    case 'integer':
    case 'number':
      arbitrary = numberValue(s, type === 'integer', name);
      break;
    case 'boolean':
      arbitrary = fc.boolean();
      break;
    case 'null':
      arbitrary = fc.constant(null);
      break;
    case 'array':
      arbitrary = arrayValue(document, s, pools, name, depth);
      break;
    case 'object':
      arbitrary = objectValue(document, s, pools, depth);
      break;
    default:
      arbitrary = fc.jsonValue({ maxDepth: 2 });
  }
  return types.includes('null') && type !== 'null'
    ? fc.oneof({ weight: 5, arbitrary }, { weight: 1, arbitrary: fc.constant(null) })
    : arbitrary;
}

function mergeAllOf(document: OpenApiDocument, parts: JsonSchema[]): JsonSchema {
  const merged: JsonSchema = {};
  for (const part of parts.map((p) => resolveRef(document, p))) {
    Object.assign(merged, part, {
      properties: { ...merged.properties, ...part.properties },
      required: [...(merged.required ?? []), ...(part.required ?? [])],
    });
  }
  delete merged.allOf;
  return merged;
}

function stringValue(s: JsonSchema, pools: IdPools, name: string): fc.Arbitrary<string> {
  if (s.format === 'uuid') return uuidArbitrary(poolFor(pools, name));
  if (s.format === 'date-time')
    return fc
      .integer({ min: MIN_TIME, max: MAX_TIME })
      .map((ms) => new Date(ms).toISOString())
      .chain((iso) => fc.constantFrom(iso, iso.replace('Z', '+02:00')));
  const minLength = s.minLength ?? 0;
  const maxLength = Math.min(s.maxLength ?? 40, Math.max(minLength, 40));
  return fc.string({ unit: 'grapheme', minLength, maxLength }).filter((v) => v.length >= minLength);
}

function numberValue(s: JsonSchema, integer: boolean, name: string): fc.Arbitrary<number> {
  let min: number = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum : -1e6);
  let max: number = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum : 1e6);
  if (integer) {
    min = Math.ceil(s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : min);
    max = Math.floor(s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : max);
    return fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31) });
  }
  const any = fc
    .double({ min, max, noNaN: true, noDefaultInfinity: true })
    .filter(
      (v) =>
        (s.exclusiveMinimum === undefined || v > s.exclusiveMinimum) &&
        (s.exclusiveMaximum === undefined || v < s.exclusiveMaximum),
    );
  const near = name === 'lat' ? HERE.lat : name === 'lon' ? HERE.lon : undefined;
  if (near === undefined) return any;
  // Most positions within ~3 km of the stores: close enough for nearby searches and a drop check.
  return fc.oneof(
    { weight: 3, arbitrary: fc.double({ min: near - 0.03, max: near + 0.03, noNaN: true }) },
    { weight: 1, arbitrary: any },
  );
}

function arrayValue(
  document: OpenApiDocument,
  s: JsonSchema,
  pools: IdPools,
  name: string,
  depth: number,
): fc.Arbitrary<unknown[]> {
  if (Array.isArray(s.prefixItems))
    return fc.tuple(...s.prefixItems.map((item: JsonSchema) => validValue(document, item, pools, name, depth + 1)));
  const minLength = s.minItems ?? 0;
  const maxLength = Math.max(minLength, Math.min(s.maxItems ?? 4, 4));
  return fc.array(validValue(document, s.items ?? {}, pools, name, depth + 1), { minLength, maxLength });
}

function objectValue(
  document: OpenApiDocument,
  s: JsonSchema,
  pools: IdPools,
  depth: number,
): fc.Arbitrary<Record<string, unknown>> {
  const properties: Record<string, JsonSchema> = s.properties ?? {};
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [key, prop] of Object.entries(properties)) model[key] = validValue(document, prop, pools, key, depth + 1);
  return fc.record(model, { requiredKeys: (s.required ?? []).filter((k: string) => k in properties) });
}

/** Strings a server must survive: NUL, lone surrogates, control and bidi characters, emoji, numbers as text. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '\ud800',
    '\udc00x',
    'x\ud83d',
    '\ud83c\udf55',
    '\u202e\u202d',
    '\ufeff',
    '\r\n',
    'NaN',
    'Infinity',
    '-Infinity',
    '-0',
    '1e400',
    '-1e400',
    '0x10',
    '99999999999999999999999999',
    'null',
    'undefined',
    'true',
    '[]',
    '{}',
    "'; DROP TABLE orders; --",
    '%00',
    '../../etc/passwd',
    '<script>alert(1)</script>',
    '0f8fad5b-d9cb-469f-a165-70867728950',
    '0F8FAD5B-D9CB-469F-A165-70867728950E',
    '{0f8fad5b-d9cb-469f-a165-70867728950e}',
    '0f8fad5bd9cb469fa16570867728950e',
  ),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.integer({ min: 300, max: 5000 }).map((n) => 'x'.repeat(n)),
);

/** Nested arrays or objects `depth` levels deep (deep enough to overflow a naive recursive walk). */
export const deepJson: fc.Arbitrary<unknown> = fc
  .tuple(fc.integer({ min: 10, max: 1500 }), fc.boolean())
  .map(([depth, arrays]) => {
    let value: unknown = 1;
    for (let i = 0; i < depth; i++) value = arrays ? [value] : { a: value };
    return value;
  });

/** A value of a wrong kind for nearly any field: other types, extreme numbers, nasty text, deep structures. */
export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    null,
    true,
    false,
    0,
    -1,
    1.5,
    Number.MAX_VALUE,
    -Number.MAX_VALUE,
    Number.MIN_VALUE,
    Number.MAX_SAFE_INTEGER + 2,
    -(2 ** 63),
    2 ** 64,
    1e21,
    [],
    {},
    [null],
    { '': null },
  ),
  fc.double(),
  fc.integer(),
  nastyString,
  fc.jsonValue({ maxDepth: 3 }),
  deepJson,
);

/** A change that makes a valid JSON value (probably) invalid. `at` picks the node, modulo the node count. */
export type Mutation =
  | { kind: 'replace'; at: number; value: unknown }
  | { kind: 'delete'; at: number }
  | { kind: 'extra'; at: number; key: string; value: unknown };

export const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: nastyValue }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('extra' as const),
    at: fc.nat(),
    key: fc.oneof(nastyString, fc.constantFrom('id', 'extra', '__proto__', 'constructor', 'status')),
    value: nastyValue,
  }),
);

type Path = (string | number)[];

function nodePaths(value: unknown, path: Path = [], out: Path[] = []): Path[] {
  out.push(path);
  if (Array.isArray(value)) for (const [i, item] of value.entries()) nodePaths(item, [...path, i], out);
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) nodePaths(v, [...path, k], out);
  return out;
}

/** `value` with `mutation` applied (a structured clone: the input is left as it was). */
export function applyMutation(value: unknown, mutation: Mutation): unknown {
  type Container = Record<string | number, unknown>;
  const at = (p: Path): unknown => p.reduce<unknown>((o, k) => (o as Container)[k], root);
  const root: Container = { v: structuredClone(value) };
  const paths = nodePaths(root.v).map((p) => ['v', ...p]);
  const candidates =
    mutation.kind === 'delete'
      ? paths.filter((p) => p.length > 1)
      : mutation.kind === 'extra'
        ? paths.filter((p) => {
            const node = at(p);
            return node !== null && typeof node === 'object' && !Array.isArray(node);
          })
        : paths;
  if (candidates.length === 0) return mutation.kind === 'replace' ? mutation.value : root.v;
  const path = candidates[mutation.at % candidates.length]!;
  const parent = at(path.slice(0, -1)) as Container;
  const last = path[path.length - 1]!;
  if (mutation.kind === 'replace') parent[last] = mutation.value;
  else if (mutation.kind === 'delete') {
    if (Array.isArray(parent)) (parent as unknown[]).splice(Number(last), 1);
    else delete parent[last];
  } else {
    // defineProperty, so `__proto__` becomes an own key that JSON.stringify writes out.
    Object.defineProperty(parent[last] as object, mutation.key, {
      value: mutation.value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return root.v;
}
