import { createHash, randomBytes } from 'node:crypto';

/**
 * Opaque bearer tokens: 32 random bytes (node:crypto), base64url, behind a prefix naming their kind —
 * `dgo_op_…` operator key, `dgo_st_…` store key, `dgo_rd_…` rider token, `dgo_or_…` order read token. Only the SHA-256
 * of a token is stored; a token is shown once, when it is minted. 256 bits of randomness make a salt or a slow hash
 * pointless (nothing to brute-force), and the plain digest lets a lookup use a unique index.
 */
export type TokenKind = 'operator' | 'store' | 'rider' | 'order';

/** The prefix of each kind's tokens. */
export const TOKEN_PREFIX: Readonly<Record<TokenKind, string>> = {
  operator: 'dgo_op_',
  store: 'dgo_st_',
  rider: 'dgo_rd_',
  order: 'dgo_or_',
};

const RANDOM_BYTES = 32;
/** Prefix, then exactly the 43 base64url characters of 32 bytes. */
const TOKEN_SHAPE = /^dgo_(op|st|rd|or)_[A-Za-z0-9_-]{43}$/;
const KIND_OF_CODE: Readonly<Record<string, TokenKind>> = { op: 'operator', st: 'store', rd: 'rider', or: 'order' };

/**
 * Random bytes drawn from node:crypto a pool at a time (as node's own `randomUUID` does): every order placed mints a
 * read token, and a synchronous `randomBytes(32)` per token was ~2 % of the API's CPU on `POST /orders`. Each pool
 * byte is handed out once.
 */
const POOL_TOKENS = 128;
let pool = Buffer.alloc(0);
let poolOffset = 0;

/** A new token of `kind`. */
export function mintToken(kind: TokenKind): string {
  if (poolOffset + RANDOM_BYTES > pool.length) {
    pool = randomBytes(RANDOM_BYTES * POOL_TOKENS);
    poolOffset = 0;
  }
  const bytes = pool.subarray(poolOffset, poolOffset + RANDOM_BYTES);
  poolOffset += RANDOM_BYTES;
  return TOKEN_PREFIX[kind] + bytes.toString('base64url');
}

/** What is stored for a token: its SHA-256, hex. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The kind of a well-formed token, or undefined when `token` cannot be one of ours (no lookup needed). */
export function tokenKindOf(token: string): TokenKind | undefined {
  const m = TOKEN_SHAPE.exec(token);
  return m ? KIND_OF_CODE[m[1]!] : undefined;
}

/**
 * The token of an `Authorization` header value: `undefined` when there is none (missing or blank header), `null`
 * when the header is there but is not `Bearer <token>` (then it is an invalid credential, not a missing one).
 */
export function bearerTokenOf(header: string | undefined | null): string | null | undefined {
  if (header === undefined || header === null || header.trim() === '') return undefined;
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header.trim());
  return m ? m[1]! : null;
}
