import { describe, expect, it } from 'vitest';
import { bearerTokenOf, hashToken, mintToken, tokenKindOf } from './token.ts';

describe('bearer tokens', () => {
  it('are 32 random bytes in base64url behind their kind’s prefix, never twice the same', () => {
    const op = mintToken('operator');
    expect(op).toMatch(/^dgo_op_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(op.slice(7), 'base64url')).toHaveLength(32);
    expect(mintToken('store')).toMatch(/^dgo_st_/);
    expect(mintToken('rider')).toMatch(/^dgo_rd_/);
    expect(mintToken('order')).toMatch(/^dgo_or_/);
    expect(new Set(Array.from({ length: 1_000 }, () => mintToken('rider'))).size).toBe(1_000);
  });

  it('tell their kind from their shape alone', () => {
    expect(tokenKindOf(mintToken('operator'))).toBe('operator');
    expect(tokenKindOf(mintToken('order'))).toBe('order');
    expect(tokenKindOf('dgo_op_short')).toBeUndefined();
    expect(tokenKindOf(`dgo_xx_${'a'.repeat(43)}`)).toBeUndefined();
    expect(tokenKindOf(`${mintToken('rider')}x`)).toBeUndefined();
  });

  it('are stored as their SHA-256', () => {
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('come from an Authorization header: none is missing, a non-Bearer one is invalid', () => {
    expect(bearerTokenOf(undefined)).toBeUndefined();
    expect(bearerTokenOf('  ')).toBeUndefined();
    expect(bearerTokenOf('Bearer abc')).toBe('abc');
    expect(bearerTokenOf('bearer  abc ')).toBe('abc');
    expect(bearerTokenOf('Basic dXNlcjpwYXNz')).toBeNull();
    expect(bearerTokenOf('Bearer a b')).toBeNull();
  });
});
