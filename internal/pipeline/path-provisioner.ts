/**
 * Consumer of `path.provision`: builds the hot path from a store toward a cell through the Router, stores it
 * (ON CONFLICT DO NOTHING, so redelivery is harmless), indexes its corridor in the geo store, and announces
 * `path.provisioned` — upon which the batcher re-matches the orders parked for it.
 */
import { record, type PayloadOf } from '../events/catalog.ts';
import { enqueue } from '../outbox/outbox.ts';
import { loadStore } from './batch-rows.ts';
import { buildPathTemplate, pathIdOf, savePathTemplate } from './path-templates.ts';
import type { PipelineDeps } from './pipeline-deps.ts';
import { clearPathRequest } from './provision-requests.ts';

/** Provisions (or re-indexes) the path of `storeId` toward `cell`; answers the path id, or null for an unknown store. */
export async function provisionPath(deps: PipelineDeps, payload: PayloadOf<'pathProvision'>): Promise<string | null> {
  const { db, geoStore, router, params, logger } = deps;
  const { storeId, cell } = payload;
  const id = pathIdOf(storeId, cell);
  let existing = await db.selectFrom('path_templates').select(['id', 'corridor_cells']).where('id', '=', id).executeTakeFirst();
  if (!existing) {
    const store = await loadStore(db, storeId);
    if (!store) {
      logger.warn({ storeId, cell }, 'path.provision for an unknown store: ignored');
      return null;
    }
    const started = deps.clock.now();
    const template = await buildPathTemplate(router, store, cell, params.h3Resolution, params.corridorRings, router.constructor.name);
    await savePathTemplate(db, template);
    // Another worker may have won the insert: index what is stored, not what we built.
    existing = await db.selectFrom('path_templates').select(['id', 'corridor_cells']).where('id', '=', id).executeTakeFirstOrThrow();
    logger.info({ pathId: id, storeId, cell, corridorCells: existing.corridor_cells.length, ms: deps.clock.now() - started }, 'hot path provisioned');
  }
  await geoStore.indexPath(id, existing.corridor_cells);
  await db.transaction().execute(async (trx) => {
    await clearPathRequest(trx, storeId, cell);
    await enqueue(trx, [record('pathProvisioned', storeId, { pathId: id, storeId, cell }, new Date(deps.clock.now()))]);
  });
  return id;
}
