/**
 * Who sends a fuzz case: the `Authorization` header it carries. Every case picks one, so each operation is driven
 * without a token, with garbage, and with every real credential the seeded data yielded.
 *
 * The real identities read the tokens the API hands out (auth contract, /work/notes/auth-contract.md): `api_key` of
 * `POST /stores`, `token` of `POST /riders`, `read_token` of `POST /orders`, and the harness's operator key. Until
 * those fields exist the seed finds none and only `none` and the garbage tokens take part; once they do, the entries
 * below switch on by themselves. A new kind of credential is one more line here (and one more field in `SeedTokens`).
 */

/** The credentials the seeded data yielded (each empty until the API hands them out). */
export interface SeedTokens {
  operatorKeys: string[];
  storeKeys: string[];
  riderTokens: string[];
  orderTokens: string[];
}

export interface Identity {
  name: string;
  /** The `Authorization` header for case number `pick` (a generated number), or undefined when the identity has none. */
  authorization(tokens: SeedTokens, pick: number): string | undefined;
}

const bearer = (list: readonly string[], pick: number): string | undefined =>
  list.length > 0 ? `Bearer ${list[pick % list.length]}` : undefined;

/** Malformed and unknown credentials: every one must be refused (401) or ignored, never a 5xx. */
const GARBAGE = [
  'Bearer dgo_op_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
  'Bearer dgo_st_not-a-real-key',
  'Bearer dgo_rd_',
  'Bearer dgo_or_ÿÿÿÿ',
  'Bearer ',
  'Bearer',
  'bearer dgo_op_lowercase-scheme',
  'Basic dXNlcjpwYXNz',
  'Bearer a.b.c',
  `Bearer ${'x'.repeat(4096)}`,
  'Bearer dgo_op_x dgo_op_y',
  '   ',
];

/** Every identity a case may take. */
export const IDENTITIES: readonly Identity[] = [
  { name: 'none', authorization: () => undefined },
  { name: 'garbage', authorization: (_, pick) => GARBAGE[pick % GARBAGE.length] },
  { name: 'operator', authorization: (t, pick) => bearer(t.operatorKeys, pick) },
  { name: 'store', authorization: (t, pick) => bearer(t.storeKeys, pick) },
  { name: 'rider', authorization: (t, pick) => bearer(t.riderTokens, pick) },
  { name: 'order', authorization: (t, pick) => bearer(t.orderTokens, pick) },
];

/** The identities that can take part with these tokens: `none`, `garbage`, and each one whose tokens exist. */
export function availableIdentities(tokens: SeedTokens): Identity[] {
  return IDENTITIES.filter((identity) => identity.name === 'none' || identity.authorization(tokens, 0) !== undefined);
}
