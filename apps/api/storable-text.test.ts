import { describe, expect, it } from 'vitest';
import { findUnstorableText } from './storable-text.ts';

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
});
