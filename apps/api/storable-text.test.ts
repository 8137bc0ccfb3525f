import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../internal/platform/logger.ts';
import { scaledMs } from '../../tests/support/time-scale.ts';
import { createApiApp } from './app.ts';
import { findUnstorableText, jsonNestsDeeperThan, MAX_JSON_DEPTH } from './storable-text.ts';

describe('findUnstorableText', () => {
  it('names the first unstorable string in document order, a member name before its value', () => {
    expect(findUnstorableText({ a: 'ok', b: ['x', { c: 'y\u0000' }], d: '\ud800' })).toBe('b[1].c');
    expect(findUnstorableText({ 'k\u0000': 'v\u0000' })).toBe('k\u0000');
    expect(findUnstorableText({ a: 'v\u0000', 'k\u0000': 1 })).toBe('a');
    expect(findUnstorableText('\udc00')).toBe('(body)');
    expect(findUnstorableText({ name: '🍕', n: 1, z: null })).toBeUndefined();
  });

  it('walks nesting deeper than the call stack (what JSON.parse accepts in a 2 MiB body)', () => {
    const depth = 200_000; // the call stack ends near 10 000 frames
    const deep = JSON.parse(`${'['.repeat(depth)}"\\u0000"${']'.repeat(depth)}`);
    expect(findUnstorableText(deep)).toBe('[0]'.repeat(depth));
    expect(findUnstorableText(JSON.parse(`${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`))).toBeUndefined();
  });

  it('answers the same on both sides of the depth where the quick check hands over to the walk', () => {
    for (let depth = 60; depth <= 68; depth++) {
      const nested = (leaf: string) => JSON.parse(`${'{"a":['.repeat(depth)}${leaf}${']}'.repeat(depth)}`);
      expect(findUnstorableText(nested('"ok"'))).toBeUndefined();
      expect(findUnstorableText(nested('"x","\\u0000"'))).toBe(`${'a[0].'.repeat(depth - 1)}a[1]`);
      expect(findUnstorableText(nested('{"\\ud800":1}'))).toBe(`${'a[0].'.repeat(depth - 1)}a[0].\ud800`);
    }
  });
});

describe('jsonNestsDeeperThan', () => {
  it('counts open arrays and objects, brackets inside strings (escaped quotes included) aside', () => {
    expect(jsonNestsDeeperThan('[[[]]]', 3)).toBe(false);
    expect(jsonNestsDeeperThan('[[[[]]]]', 3)).toBe(true);
    expect(jsonNestsDeeperThan('{"a":{"b":[1]}}', 3)).toBe(false);
    expect(jsonNestsDeeperThan('{"a":"[[[[[[\\"[[[[{{{{"}', 1)).toBe(false);
    expect(jsonNestsDeeperThan('[1],[2],[3],[4]', 1)).toBe(false);
  });

  it('a deep 2 MiB body is refused before it is parsed: 400, in well under a second', async () => {
    const app = createApiApp({ logger: silentLogger, healthChecks: [], metrics: new Registry() });
    const depth = 1_000_000;
    const started = performance.now();
    const res = await app.request('/stores', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `${'['.repeat(depth)}${']'.repeat(depth)}`,
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'request.invalid_input', details: { in: 'json' } } });
    expect(performance.now() - started).toBeLessThan(scaledMs(1_000));
    const ok = await app.request('/stores', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', lat: 1, lon: 1, [`k${MAX_JSON_DEPTH}`]: 1 }),
    });
    // Shallow: past the depth check to the validator (unknown field) as before.
    expect(await ok.json()).toMatchObject({ error: { code: 'request.invalid_input', field: `k${MAX_JSON_DEPTH}` } });
  });
});
