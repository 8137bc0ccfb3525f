import fc from 'fast-check';
import { MAX_REQUEST_BODY_BYTES } from '../error-handler.ts';
import type { OpenApiDocument, Operation, OperationParameter } from './openapi-operations.ts';
import {
  applyMutation,
  type IdPools,
  mutationArbitrary,
  nastyString,
  poolFor,
  uuidArbitrary,
  validValue,
} from './schema-arbitraries.ts';

/** One generated HTTP request (the identity's `Authorization` is added when it is sent). */
export interface FuzzRequest {
  method: string;
  /** Path and query string, already encoded. */
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** How the body was made (`valid`, `mutated`, `raw:…`, `none`), for the summary and failure messages. */
  bodyKind: string;
}

/**
 * Percent-encodes like `encodeURIComponent`, but a lone surrogate (which has no UTF-8 form and makes
 * `encodeURIComponent` throw) becomes the bytes a careless client would send: its CESU-8 form, invalid UTF-8.
 */
export function encodeLoosely(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (code >= 0xd800 && code <= 0xdfff)
      out +=
        `%${(0xe0 | (code >> 12)).toString(16)}%${(0x80 | ((code >> 6) & 0x3f)).toString(16)}%${(0x80 | (code & 0x3f)).toString(16)}`.toUpperCase();
    else out += encodeURIComponent(ch);
  }
  return out;
}

/**
 * Segments that are not a parameter of this operation: other routes' literals under the same prefix (`/riders/nearby`
 * is not a rider id) and dot segments, which the URL parser resolves away before any server sees them.
 */
const NOT_A_PARAMETER = new Set(['nearby', 'locations', '.', '..']);

/** A path parameter: mostly an existing row's id, else a random uuid, a wrong kind of id, or garbage. */
function pathParamArbitrary(operation: Operation, param: OperationParameter, pools: IdPools): fc.Arbitrary<string> {
  const wellFormed = uuidArbitrary(poolFor(pools, param.name, operation.path));
  const wrongKind = uuidArbitrary(poolFor(pools, '', ''));
  const bad = fc
    .oneof(
      nastyString,
      fc.constantFrom('%2F', '%00', '%', '%ZZ', '%ED%A0%80', '-1', '0', 'NaN', '1e400', '{id}', ':id'),
    )
    .filter((s) => s.length > 0 && !NOT_A_PARAMETER.has(s));
  return fc.oneof(
    { weight: 6, arbitrary: wellFormed.map(encodeLoosely) },
    { weight: 1, arbitrary: wrongKind.map(encodeLoosely) },
    // Raw `%…` literals stay raw: a malformed escape is part of the test.
    { weight: 3, arbitrary: bad.map((s) => (s.startsWith('%') ? s : encodeLoosely(s))) },
  );
}

/** A query value as text: valid for its schema, or garbage. */
function queryValueArbitrary(
  document: OpenApiDocument,
  param: OperationParameter,
  pools: IdPools,
): fc.Arbitrary<string> {
  const valid = validValue(document, param.schema, pools, param.name).map((v) =>
    typeof v === 'string' ? v : v === null ? '' : String(v),
  );
  return fc.oneof({ weight: 12, arbitrary: valid }, { weight: 1, arbitrary: nastyString });
}

/** Query strings no generator of pairs writes: bad escapes, empty names, repeated separators. */
const rawQueryTail = fc.constantFrom('%', '%E0%A4%A', 'a=%ZZ', '&&', '=', '==&=', 'a', 'a=1&a=2', '%00=%00', ';', '?');

function queryArbitrary(document: OpenApiDocument, operation: Operation, pools: IdPools): fc.Arbitrary<string> {
  const declared = operation.parameters.filter((p) => p.in === 'query');
  const pairs = fc
    .tuple(
      fc.tuple(
        ...declared.map((p) =>
          fc.oneof(
            { weight: 8, arbitrary: queryValueArbitrary(document, p, pools).map((v) => [[p.name, v]]) },
            { weight: p.required ? 1 : 8, arbitrary: fc.constant([]) },
            // The same parameter twice.
            {
              weight: 1,
              arbitrary: fc
                .tuple(queryValueArbitrary(document, p, pools), queryValueArbitrary(document, p, pools))
                .map(([a, b]) => [
                  [p.name, a],
                  [p.name, b],
                ]),
            },
          ),
        ),
      ),
      // Unknown parameters.
      fc.oneof(
        { weight: 8, arbitrary: fc.constant([] as string[][]) },
        { weight: 1, arbitrary: fc.array(fc.tuple(nastyString, nastyString), { minLength: 1, maxLength: 3 }) },
      ),
      fc.oneof({ weight: 12, arbitrary: fc.constant('') }, { weight: 1, arbitrary: rawQueryTail }),
    )
    .map(([declaredPairs, extra, tail]) => {
      const all = [...(declaredPairs as string[][][]).flat(), ...extra];
      const parts = all.map(([k, v]) => `${encodeLoosely(k!)}=${encodeLoosely(v!)}`);
      if (tail) parts.push(tail);
      return parts.length > 0 ? `?${parts.join('&')}` : '';
    });
  return pairs;
}

/** Body texts JSON.stringify never writes: literals out of range, truncation, duplicates, garbage, deep nesting. */
function rawBodyArbitrary(validJson: fc.Arbitrary<string>): fc.Arbitrary<{ kind: string; text: string }> {
  return fc.oneof(
    fc.constantFrom(
      { kind: 'raw:empty', text: '' },
      { kind: 'raw:null', text: 'null' },
      { kind: 'raw:array', text: '[]' },
      { kind: 'raw:string', text: '"x"' },
      { kind: 'raw:number', text: '42' },
      { kind: 'raw:garbage', text: 'not json' },
      { kind: 'raw:nan', text: '{"lat": NaN, "lon": Infinity}' },
      { kind: 'raw:huge-literal', text: '{"lat": 1e400, "lon": -1e400, "qty": 123456789012345678901234567890}' },
      { kind: 'raw:bom', text: '\ufeff{}' },
      { kind: 'raw:escaped-nul', text: '{"name": "a\\u0000b"}' },
      { kind: 'raw:escaped-surrogate', text: '{"name": "\\ud800"}' },
      { kind: 'raw:trailing', text: '{} {}' },
    ),
    validJson.map((text) => ({ kind: 'raw:duplicate-keys', text: text.replace(/^\{/, '{"status":"x","status":1,') })),
    fc
      .tuple(validJson, fc.nat())
      .map(([text, cut]) => ({ kind: 'raw:truncated', text: text.slice(0, cut % Math.max(text.length, 1)) })),
    fc.tuple(fc.integer({ min: 1_000, max: 60_000 }), fc.constantFrom('[', '{"a":')).map(([depth, open]) => ({
      kind: `raw:deep${open === '[' ? '-array' : '-object'}`,
      text: `${open.repeat(depth)}1${(open === '[' ? ']' : '}').repeat(depth)}`,
    })),
  );
}

/** An oversized body: a valid-looking JSON document just over the limit (rare: each one is 2 MiB of work). */
const oversizedBody = fc.constant({ kind: 'raw:oversized', text: `{"name":"${'x'.repeat(MAX_REQUEST_BODY_BYTES)}"}` });

const JSON_TYPES = ['application/json', 'application/json; charset=utf-8', 'Application/JSON'];
const OTHER_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/vnd.api+json',
  'application/json; charset=latin1',
  'application/jsonx',
  '*/*',
  '',
];

/**
 * A header value an HTTP client can put on the wire — tab, visible ASCII, space and obs-text (RFC 9110 field-value;
 * undici refuses any other control character before sending, and the lanes' requests go over a socket) — possibly
 * nasty otherwise.
 */
const headerSafe = (text: string): string =>
  [...text]
    .map((ch) => {
      const code = ch.codePointAt(0)!;
      return code === 0x09 || (code >= 0x20 && code <= 0x7e) || (code >= 0x80 && code <= 0xff) ? ch : '?';
    })
    .join('');

function headerParamsArbitrary(
  document: OpenApiDocument,
  operation: Operation,
  pools: IdPools,
): fc.Arbitrary<Record<string, string>> {
  const declared = operation.parameters.filter((p) => p.in === 'header');
  return fc
    .tuple(
      ...declared.map((p) =>
        fc.option(
          queryValueArbitrary(document, p, pools).map((v) => [p.name, headerSafe(v)] as const),
          {
            nil: undefined,
          },
        ),
      ),
    )
    .map((entries) => Object.fromEntries(entries.filter((e) => e !== undefined)));
}

/** The generated requests of one operation: valid ones, and ones broken in every part (path, query, headers, body). */
export function requestArbitrary(
  document: OpenApiDocument,
  operation: Operation,
  pools: IdPools,
): fc.Arbitrary<FuzzRequest> {
  const pathParams = operation.parameters.filter((p) => p.in === 'path');
  const path = fc
    .tuple(...pathParams.map((p) => pathParamArbitrary(operation, p, pools)))
    .map((values) => pathParams.reduce((acc, p, i) => acc.replace(`{${p.name}}`, values[i] as string), operation.path));
  const query = queryArbitrary(document, operation, pools);
  const headers = headerParamsArbitrary(document, operation, pools);
  const body = bodyArbitrary(document, operation, pools);
  return fc.tuple(path, query, headers, body).map(([p, q, h, b]) => ({
    method: operation.method,
    url: p + q,
    headers: { ...h, ...(b.contentType !== undefined ? { 'content-type': b.contentType } : {}) },
    ...(b.text !== undefined ? { body: b.text } : {}),
    bodyKind: b.kind,
  }));
}

interface GeneratedBody {
  kind: string;
  text?: string;
  contentType?: string;
}

function bodyArbitrary(document: OpenApiDocument, operation: Operation, pools: IdPools): fc.Arbitrary<GeneratedBody> {
  if (operation.method === 'GET' || operation.method === 'HEAD') return fc.constant({ kind: 'none' });
  const none = fc.constant<GeneratedBody>({ kind: 'none' });
  if (!operation.body) {
    // A body nobody asked for, in any type: ignored or refused, never a 5xx.
    const stray = fc
      .tuple(fc.constantFrom(...JSON_TYPES, ...OTHER_TYPES), fc.jsonValue({ maxDepth: 3 }))
      .map(([contentType, value]) => ({ kind: 'stray', text: JSON.stringify(value) ?? 'null', contentType }));
    return fc.oneof({ weight: 4, arbitrary: none }, { weight: 1, arbitrary: stray });
  }
  const valid = validValue(document, operation.body.schema, pools);
  const validJson = valid.map((v) => JSON.stringify(v) ?? 'null');
  const jsonType = fc.constantFrom(...JSON_TYPES);
  const payload = fc.oneof(
    { weight: 10, arbitrary: validJson.map((text) => ({ kind: 'valid', text })) },
    {
      weight: 10,
      arbitrary: fc
        .tuple(valid, mutationArbitrary)
        .map(([v, m]) => ({ kind: `mutated:${m.kind}`, text: JSON.stringify(applyMutation(v, m)) ?? 'null' })),
    },
    { weight: 4, arbitrary: rawBodyArbitrary(validJson) },
    { weight: 1, arbitrary: oversizedBody },
  );
  return fc.oneof(
    { weight: 20, arbitrary: fc.tuple(payload, jsonType).map(([p, contentType]) => ({ ...p, contentType })) },
    {
      weight: 3,
      arbitrary: fc
        .tuple(validJson, fc.constantFrom(...OTHER_TYPES))
        .map(([text, contentType]) => ({ kind: `type:${contentType || 'empty'}`, text, contentType })),
    },
    // A JSON body sent without a content type, or no body at all.
    { weight: 1, arbitrary: validJson.map((text) => ({ kind: 'type:none', text })) },
    { weight: 1, arbitrary: none },
  );
}
