import { parseArgs } from 'node:util';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import type { Clock } from '../platform/clock.ts';
import { type CredentialInfo, issueCredential, listCredentials, revokeCredential } from './credential-repository.ts';

/** What `npm run keys` needs: the database, the clock (revocation time) and where to write. */
export interface KeysCommandDeps {
  db: Kysely<Database>;
  clock: Clock;
  out: (line: string) => void;
  err: (line: string) => void;
}

export const KEYS_USAGE = [
  'usage: npm run keys -- create --label NAME [--store STORE_ID | --rider RIDER_ID]',
  '       npm run keys -- list',
  '       npm run keys -- revoke ID',
  '',
  'create: an operator key (dgo_op_…), or a store key (dgo_st_…) / rider token (dgo_rd_…) bound to that store or rider.',
  '        The token is printed once; only its SHA-256 is stored. list: every credential, never a token.',
  'revoke: the credential stops working on every API process within AUTH_CACHE_TTL_MS (30 s by default).',
].join('\n');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * `npm run keys -- create|list|revoke` against `deps.db`; answers the exit code (0 done, 1 refused, 2 usage).
 * Kept apart from keys-cli.ts (configuration, database, exit) so tests run it in-process.
 */
export async function runKeysCommand(args: readonly string[], deps: KeysCommandDeps): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: { label: { type: 'string' }, store: { type: 'string' }, rider: { type: 'string' } },
    });
  } catch (error) {
    deps.err(`${(error as Error).message}\n${KEYS_USAGE}`);
    return 2;
  }
  const [command, ...rest] = parsed.positionals;
  const { label, store, rider } = parsed.values;
  switch (command) {
    case 'create': {
      if (
        rest.length > 0 ||
        label === undefined ||
        label.trim() === '' ||
        (store !== undefined && rider !== undefined)
      ) {
        deps.err(KEYS_USAGE);
        return 2;
      }
      const subject = store ?? rider;
      if (subject !== undefined && !UUID.test(subject)) {
        deps.err(`not an id: ${subject}`);
        return 2;
      }
      if (
        store !== undefined &&
        !(await deps.db.selectFrom('stores').select('id').where('id', '=', store).executeTakeFirst())
      ) {
        deps.err(`no store ${store}`);
        return 1;
      }
      if (
        rider !== undefined &&
        !(await deps.db.selectFrom('riders').select('id').where('id', '=', rider).executeTakeFirst())
      ) {
        deps.err(`no rider ${rider}`);
        return 1;
      }
      const issued = await issueCredential(
        deps.db,
        store !== undefined
          ? { kind: 'store', subjectId: store, label: label.trim() }
          : rider !== undefined
            ? { kind: 'rider', subjectId: rider, label: label.trim() }
            : { kind: 'operator', label: label.trim() },
      );
      deps.out(`created ${describe(issued)}`);
      deps.out(`token: ${issued.token}`);
      deps.out('(shown once: only its hash is stored)');
      return 0;
    }
    case 'list': {
      if (rest.length > 0) {
        deps.err(KEYS_USAGE);
        return 2;
      }
      const all = await listCredentials(deps.db);
      if (all.length === 0) deps.out('no credentials');
      for (const c of all) deps.out(describe(c));
      return 0;
    }
    case 'revoke': {
      const [id] = rest;
      if (rest.length !== 1 || id === undefined || !UUID.test(id)) {
        deps.err(KEYS_USAGE);
        return 2;
      }
      if (!(await revokeCredential(deps.db, id, new Date(deps.clock.now())))) {
        deps.err(`no credential ${id}`);
        return 1;
      }
      deps.out(`revoked ${id}`);
      return 0;
    }
    default:
      deps.err(KEYS_USAGE);
      return 2;
  }
}

/** One line per credential: id, kind (and subject), label, created, revoked. */
function describe(c: CredentialInfo): string {
  const kind = c.subjectId === null ? c.kind : `${c.kind} ${c.subjectId}`;
  const revoked = c.revokedAt === null ? 'active' : `revoked ${c.revokedAt.toISOString()}`;
  return `${c.id}  ${kind}  "${c.label}"  created ${c.createdAt.toISOString()}  ${revoked}`;
}
