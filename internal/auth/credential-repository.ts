import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { CredentialKind, Database } from '../db/schema.ts';
import type { Principal } from './principal.ts';
import { hashToken, mintToken, tokenKindOf } from './token.ts';

/** A credential as listed (never with its token: only the hash is stored). */
export interface CredentialInfo {
  id: string;
  kind: CredentialKind;
  subjectId: string | null;
  label: string;
  createdAt: Date;
  revokedAt: Date | null;
}

/** A credential just created, with its token: the only time the token is known. */
export interface IssuedCredential extends CredentialInfo {
  token: string;
}

/** Which credential to create: an operator key, or a store key / rider token bound to its subject. */
export type NewCredential =
  | { kind: 'operator'; label: string }
  | { kind: 'store' | 'rider'; subjectId: string; label: string };

/** Looks a token's hash up: what it grants, or null when no live credential has it. */
export type PrincipalLookup = (token: string) => Promise<Principal | null>;

type Db = Kysely<Database>;

const infoOf = (row: {
  id: string;
  kind: CredentialKind;
  subject_id: string | null;
  label: string;
  created_at: Date;
  revoked_at: Date | null;
}): CredentialInfo => ({
  id: row.id,
  kind: row.kind,
  subjectId: row.subject_id,
  label: row.label,
  createdAt: row.created_at,
  revokedAt: row.revoked_at,
});

/** Mints a token for `input`, stores its hash, answers the credential with the token (shown once). */
export async function issueCredential(db: Db, input: NewCredential): Promise<IssuedCredential> {
  const token = mintToken(input.kind);
  const row = await db
    .insertInto('credentials')
    .values({
      id: randomUUID(),
      kind: input.kind,
      subject_id: input.kind === 'operator' ? null : input.subjectId,
      token_hash: hashToken(token),
      label: input.label,
    })
    .returning(['id', 'kind', 'subject_id', 'label', 'created_at', 'revoked_at'])
    .executeTakeFirstOrThrow();
  return { ...infoOf(row), token };
}

/**
 * Registers a given operator key (the `OPERATOR_KEY` environment variable) — idempotent: a key already registered
 * stays as it is, revoked included (answers whether it is usable). Several API processes may run this at once.
 */
export async function registerOperatorKey(db: Db, token: string, label: string): Promise<{ usable: boolean }> {
  if (tokenKindOf(token) !== 'operator')
    throw new TypeError('an operator key must be dgo_op_ and 43 base64url characters');
  const hash = hashToken(token);
  await db
    .insertInto('credentials')
    .values({ id: randomUUID(), kind: 'operator', subject_id: null, token_hash: hash, label })
    .onConflict((oc) => oc.column('token_hash').doNothing())
    .execute();
  const row = await db
    .selectFrom('credentials')
    .select('revoked_at')
    .where('token_hash', '=', hash)
    .executeTakeFirstOrThrow();
  return { usable: row.revoked_at === null };
}

/** Every credential, newest first. */
export async function listCredentials(db: Db): Promise<CredentialInfo[]> {
  const rows = await db
    .selectFrom('credentials')
    .select(['id', 'kind', 'subject_id', 'label', 'created_at', 'revoked_at'])
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
  return rows.map(infoOf);
}

/** Revokes credential `id` (keeps its row); answers false when there is no such credential. Revoking twice is fine. */
export async function revokeCredential(db: Db, id: string, at: Date): Promise<boolean> {
  const updated = await db
    .updateTable('credentials')
    .set((eb) => ({ revoked_at: eb.fn.coalesce('revoked_at', eb.val(at)) }))
    .where('id', '=', id)
    .executeTakeFirst();
  return updated.numUpdatedRows > 0n;
}

/**
 * The Postgres lookup behind the resolver: a credential's hash in `credentials` (not revoked, of the kind its prefix
 * names), an order read token's in `orders.read_token_hash`. A malformed token costs no query.
 */
export function principalLookupFrom(db: Db): PrincipalLookup {
  return async (token) => {
    const kind = tokenKindOf(token);
    if (kind === undefined) return null;
    const hash = hashToken(token);
    if (kind === 'order') {
      const order = await db.selectFrom('orders').select('id').where('read_token_hash', '=', hash).executeTakeFirst();
      return order ? { kind: 'order', orderId: order.id } : null;
    }
    const row = await db
      .selectFrom('credentials')
      .select(['kind', 'subject_id'])
      .where('token_hash', '=', hash)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (!row || row.kind !== kind) return null;
    if (row.kind === 'operator') return { kind: 'operator' };
    if (row.subject_id === null) return null;
    return row.kind === 'store'
      ? { kind: 'store', storeId: row.subject_id }
      : { kind: 'rider', riderId: row.subject_id };
  };
}
