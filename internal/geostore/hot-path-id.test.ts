import { describe, expect, it } from 'vitest';
import { hotPathId } from './hot-path-id.ts';

describe('hotPathId', () => {
  it('is a stable 24-hex-digit hash of the store and the cell', () => {
    const id = hotPathId('store-1', '8928308280fffff');
    expect(id).toMatch(/^[0-9a-f]{24}$/);
    expect(hotPathId('store-1', '8928308280fffff')).toBe(id);
  });

  it('differs when the store or the cell differs, and cannot be fooled by moving characters across the boundary', () => {
    const id = hotPathId('store-1', '8928308280fffff');
    expect(hotPathId('store-2', '8928308280fffff')).not.toBe(id);
    expect(hotPathId('store-1', '8928308283fffff')).not.toBe(id);
    expect(hotPathId('ab', 'c')).not.toBe(hotPathId('a', 'bc'));
  });
});
