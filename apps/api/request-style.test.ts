import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../internal/platform/logger.ts';
import { createApiApp } from './app.ts';
import { MAX_REQUEST_BODY_BYTES, REQUEST_ERROR_CODES } from './error-handler.ts';

/**
 * The API's one input and error style: request bodies and query strings are strict objects (an unknown field is a
 * 400 naming it), and every error code is a dotted `area.reason` slug.
 */

const app = () => createApiApp({ logger: silentLogger, healthChecks: [], metrics: new Registry() });
const ROOT = new URL('../../', import.meta.url).pathname;
const SLUG = /^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$/;

// zod's internal definition, as far as walking a schema needs it.
type Def = {
  type: string;
  catchall?: Node;
  shape?: Record<string, Node>;
  element?: Node;
  innerType?: Node;
  in?: Node;
  options?: Node[];
  items?: Node[];
  valueType?: Node;
};
type Node = { _zod: { def: Def } };

/** Paths of every object inside `schema` that accepts unknown keys. */
function looseObjects(schema: Node, path = '$'): string[] {
  const def = schema._zod.def;
  switch (def.type) {
    case 'object': {
      const self = def.catchall?._zod.def.type === 'never' ? [] : [path];
      return [
        ...self,
        ...Object.entries(def.shape ?? {}).flatMap(([key, child]) => looseObjects(child, `${path}.${key}`)),
      ];
    }
    case 'array':
      return looseObjects(def.element!, `${path}[]`);
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
      return looseObjects(def.innerType!, path);
    case 'pipe':
      return looseObjects(def.in!, path);
    case 'union':
      return (def.options ?? []).flatMap((o, i) => looseObjects(o, `${path}|${i}`));
    case 'tuple':
      return (def.items ?? []).flatMap((o, i) => looseObjects(o, `${path}[${i}]`));
    case 'record':
      return looseObjects(def.valueType!, `${path}{}`);
    default:
      return [];
  }
}

describe('request input', () => {
  it('every documented route takes strict JSON bodies and strict query strings', () => {
    const routes = app()
      .openAPIRegistry.definitions.filter((d) => d.type === 'route')
      .map(
        (d) =>
          (
            d as unknown as {
              route: {
                method: string;
                path: string;
                request?: { body?: { content: Record<string, { schema: Node }> }; query?: Node };
              };
            }
          ).route,
      );
    const checked: string[] = [];
    const loose: string[] = [];
    for (const route of routes) {
      const name = `${route.method.toUpperCase()} ${route.path}`;
      const body = route.request?.body?.content['application/json']?.schema;
      if (body) {
        checked.push(`${name} body`);
        loose.push(...looseObjects(body).map((p) => `${name} body ${p}`));
      }
      if (route.request?.query) {
        checked.push(`${name} query`);
        loose.push(...looseObjects(route.request.query).map((p) => `${name} query ${p}`));
      }
    }
    expect(checked).toEqual(
      expect.arrayContaining([
        'POST /orders body',
        'POST /riders/locations body',
        'GET /orders query',
        'GET /stores query',
      ]),
    );
    expect(loose).toEqual([]);
  });

  const order = {
    store_id: '0f8fad5b-d9cb-469f-a165-70867728950e',
    drop: { lat: 43.74, lon: 7.43 },
    items: [{ name: 'x', qty: 1 }],
    prep_minutes: 5,
  };
  const post = (path: string, body: string, contentType = 'application/json') =>
    app().request(path, { method: 'POST', headers: { 'content-type': contentType }, body });

  it('refuses an unknown field, at any depth, with 400 naming it', async () => {
    for (const [body, field] of [
      [{ ...order, junk: 'x'.repeat(1000) }, 'junk'],
      [{ ...order, drop: { ...order.drop, alt: 12 } }, 'drop.alt'],
      [{ ...order, items: [{ name: 'x', qty: 1, note: 'no onions' }] }, 'items[0].note'],
    ] as const) {
      const res = await post('/orders', JSON.stringify(body));
      expect(res.status, field).toBe(400);
      expect(await res.json()).toMatchObject({
        error: { code: 'request.invalid_input', field, message: `${field}: unknown field` },
      });
    }
    const query = await app().request('/orders?stauts=placed');
    expect(await query.json()).toMatchObject({
      error: { code: 'request.invalid_input', field: 'stauts', details: { in: 'query' } },
    });
  });

  it('refuses a body over the limit with 413 before reading it, and a non-JSON body with 415', async () => {
    const huge = await post('/orders', JSON.stringify({ ...order, junk: 'x'.repeat(5 * 1024 * 1024) }));
    expect(huge.status).toBe(413);
    expect(await huge.json()).toEqual({
      error: { code: 'request.payload_too_large', message: `request body exceeds ${MAX_REQUEST_BODY_BYTES} bytes` },
    });
    const plain = await post('/orders', JSON.stringify(order), 'text/plain');
    expect(plain.status).toBe(415);
    expect(await plain.json()).toMatchObject({ error: { code: 'request.unsupported_media_type' } });
  });
});

describe('numbers in query strings', () => {
  it('is a decimal numeral: blank, hex or binary is a 400 (not 0, 16, 3), and the document says lat is required', async () => {
    for (const query of [
      'lat=&lon=7.42',
      'lat=%20&lon=7.42',
      'lat=43.7&lon=',
      'lon=7.42',
      'lat=0x10&lon=1',
      'lat=1&lon=1&limit=0b11',
      'lat=1&lon=1&limit=',
    ]) {
      const res = await app().request(`/riders/nearby?${query}`);
      expect(res.status, query).toBe(400);
      expect(((await res.json()) as { error: unknown }).error).toMatchObject({
        code: REQUEST_ERROR_CODES.invalidInput,
      });
    }
    const parameters = app().getOpenAPI31Document({ openapi: '3.1.0', info: { title: 't', version: '1' } }).paths?.[
      '/riders/nearby'
    ]?.get?.parameters as { name: string; required: boolean; schema: { type: unknown } }[];
    for (const name of ['lat', 'lon'])
      expect(parameters.find((p) => p.name === name)).toMatchObject({ required: true, schema: { type: 'number' } });
  });
});

describe('error codes', () => {
  it('the request-level codes are dotted slugs', () => {
    for (const code of Object.values(REQUEST_ERROR_CODES)) expect(code).toMatch(SLUG);
  });

  it('every slug an AppError is built with in apps/ and internal/ is a dotted slug', async () => {
    const files: string[] = [];
    for (const dir of ['apps', 'internal']) {
      for (const entry of await readdir(join(ROOT, dir), { recursive: true })) {
        if (entry.endsWith('.ts') && !entry.endsWith('.test.ts')) files.push(join(ROOT, dir, entry));
      }
    }
    const slugs = new Map<string, string>();
    const built =
      /\b(?:invalidInput|notFound|conflict|forbidden|unavailable)\(\s*'([^']*)'|new AppError\(\s*'[a-z_]+',\s*'([^']*)'|super\(\s*'(?:invalid_input|unauthorized|forbidden|not_found|conflict|unavailable|internal)',\s*'([^']*)'/g;
    for (const file of files) {
      for (const m of (await readFile(file, 'utf8')).matchAll(built)) slugs.set(m[1] ?? m[2] ?? m[3]!, file);
    }
    expect(slugs.size).toBeGreaterThan(20);
    const undotted = [...slugs].filter(([slug]) => !SLUG.test(slug));
    expect(undotted).toEqual([]);
  });
});
