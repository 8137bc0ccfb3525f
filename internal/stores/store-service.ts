import { randomUUID } from 'node:crypto';
import { latLngToCell } from 'h3-js';
import type { Kysely } from 'kysely';
import type { Page, PageRequest } from '../db/keyset-page.ts';
import type { Database } from '../db/schema.ts';
import type { Clock } from '../platform/clock.ts';
import { notFound } from '../platform/errors.ts';
import { findStore, insertStore, listStores, type StoreRow } from './store-repository.ts';

export interface StoreServiceDeps {
  db: Kysely<Database>;
  clock: Clock;
  /** H3 resolution of the stored cell (config.h3Resolution). */
  h3Resolution: number;
}

export interface NewStore {
  name: string;
  lat: number;
  lon: number;
}

export interface StoreService {
  create(input: NewStore): Promise<StoreRow>;
  get(id: string): Promise<StoreRow>;
  /** One page of stores, newest first. */
  list(page: PageRequest): Promise<Page<StoreRow>>;
}

/** Stores are data: created through the API, each with its H3 cell at the configured resolution. */
export function createStoreService(deps: StoreServiceDeps): StoreService {
  return {
    create: (input) =>
      insertStore(deps.db, {
        id: randomUUID(),
        name: input.name,
        lat: input.lat,
        lon: input.lon,
        h3_cell: latLngToCell(input.lat, input.lon, deps.h3Resolution),
        created_at: new Date(deps.clock.now()),
      }),
    get: async (id) => {
      const store = await findStore(deps.db, id);
      if (!store) throw notFound('store.not_found', `store ${id} does not exist`, { store_id: id });
      return store;
    },
    list: (page) => listStores(deps.db, page),
  };
}
