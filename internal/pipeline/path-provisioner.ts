/**
 * Consumer of `path.provision`: builds the hot path from a store toward a cell through the Router, stores it
 * (ON CONFLICT DO NOTHING, so redelivery is harmless), indexes its corridor in the geo store, and announces
 * `path.provisioned` — upon which the batcher re-matches the orders parked for it.
 */
import { record, type PayloadOf } from '../events/catalog.ts';
import { enqueue } from '../outbox/outbox.ts';
import { loadStore } from './batch-rows.ts';
import { buildPathTemplate, pathIdOf, savePathTemplate } from './path-templates.ts';
import { lockStore, type PipelineDeps } from './pipeline-deps.ts';
import { clearPathRequest, stalePathRequests, touchPathRequest } from './provision-requests.ts';
import { isPermanentRoutingError, type RoutingError } from '../routing/router.ts';
import { cancelUnreachableOrders, unbatchedOrderIdsInCell } from '../orders/unreachable-orders.ts';

/** Provisions (or re-indexes) the path of `storeId` toward `cell`; answers the path id, or null for an unknown store. */
export async function provisionPath(deps: PipelineDeps, payload: PayloadOf<'pathProvision'>): Promise<string | null> {
  const { db, geoStore, router, params, logger } = deps;
  const { storeId, cell } = payload;
  const id = pathIdOf(storeId, cell);
  let existing = await db
    .selectFrom('path_templates')
    .select(['id', 'corridor_cells'])
    .where('id', '=', id)
    .executeTakeFirst();
  if (!existing) {
    const store = await loadStore(db, storeId);
    if (!store) {
      logger.warn({ storeId, cell }, 'path.provision for an unknown store: ignored');
      return null;
    }
    const started = deps.clock.now();
    let template;
    try {
      template = await buildPathTemplate(
        router,
        store,
        cell,
        params.h3Resolution,
        params.corridorRings,
        router.constructor.name,
      );
    } catch (error) {
      if (!isPermanentRoutingError(error)) throw error; // the router could not answer: retried
      await endUnroutablePath(deps, storeId, cell, error);
      return null;
    }
    await savePathTemplate(db, template);
    // Another worker may have won the insert: index what is stored, not what we built.
    existing = await db
      .selectFrom('path_templates')
      .select(['id', 'corridor_cells'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    logger.info(
      { pathId: id, storeId, cell, corridorCells: existing.corridor_cells.length, ms: deps.clock.now() - started },
      'hot path provisioned',
    );
  }
  await geoStore.indexPath(id, existing.corridor_cells);
  await db.transaction().execute(async (trx) => {
    // Under the store lock, after indexing: a batcher holding the lock either saw the path in the index or still
    // finds this request pending — never neither, so a cell's path is asked for once while pending.
    await lockStore(trx, storeId);
    await clearPathRequest(trx, storeId, cell);
    await enqueue(trx, [record('pathProvisioned', storeId, { pathId: id, storeId, cell }, new Date(deps.clock.now()))]);
  });
  return id;
}

/**
 * The router answered that no road leads from the store toward `cell` (no route, or the target is off the network):
 * an answer, so asking again cannot help. The request ends, and the orders parked for it end too — cancelled with
 * reason `drop_unreachable` and an `order.updated` event — instead of waiting forever. A later order in that cell asks
 * afresh (once). Runs under the store lock, like the batcher's parking, so no order slips in between.
 */
async function endUnroutablePath(
  deps: PipelineDeps,
  storeId: string,
  cell: string,
  error: RoutingError,
): Promise<void> {
  const now = new Date(deps.clock.now());
  const ended = await deps.db.transaction().execute(async (trx) => {
    await lockStore(trx, storeId);
    await clearPathRequest(trx, storeId, cell);
    return cancelUnreachableOrders(trx, await unbatchedOrderIdsInCell(trx, storeId, cell), error.message, now);
  });
  deps.logger.warn(
    { storeId, cell, err: error.message, cancelledOrders: ended },
    'no road toward a hot path: its parked orders end as drop_unreachable',
  );
}

/**
 * Asks again for hot paths whose request has been pending longer than `olderThanMs` (the provisioning event was
 * dead-lettered after the router kept failing, or the worker died mid-way), so parked orders are never forgotten.
 * Answers how many were asked again.
 */
export async function retryStalePathRequests(deps: PipelineDeps, olderThanMs = 60_000, limit = 50): Promise<number> {
  const now = new Date(deps.clock.now());
  const before = new Date(now.getTime() - olderThanMs);
  let asked = 0;
  for (const stale of await stalePathRequests(deps.db, before, limit)) {
    await deps.db.transaction().execute(async (trx) => {
      await lockStore(trx, stale.store_id);
      if (!(await touchPathRequest(trx, stale.store_id, stale.h3_cell, now, before))) return;
      await enqueue(trx, [
        record('pathProvision', stale.store_id, { storeId: stale.store_id, cell: stale.h3_cell }, now),
      ]);
      asked++;
    });
  }
  if (asked > 0) deps.logger.warn({ asked }, 'hot-path requests pending too long were asked again');
  return asked;
}
