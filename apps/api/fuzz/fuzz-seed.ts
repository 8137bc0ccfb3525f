import { type ApiHarness, insertBatch, insertPathTemplate, type JsonResponse } from '../testing/api-harness.ts';
import type { SeedTokens } from './fuzz-identities.ts';
import type { IdPools } from './schema-arbitraries.ts';

/** The seeded rows (ids for the generators) and the credentials they came with. */
export interface FuzzSeed {
  pools: IdPools;
  tokens: SeedTokens;
}

const STORES = [
  { name: 'Pizzeria Monte', lat: 43.7384, lon: 7.4246 },
  { name: 'Sushi Port', lat: 43.7351, lon: 7.4212 },
  { name: 'Café Ünïcode 🍕', lat: 43.7412, lon: 7.4275 },
];
const DROPS = [
  { lat: 43.7402, lon: 7.4291 },
  { lat: 43.7415, lon: 7.4302 },
  { lat: 43.7366, lon: 7.4189 },
  { lat: 43.7431, lon: 7.4254 },
];

function created(res: JsonResponse, what: string): Record<string, unknown> & { id: string } {
  if (res.status !== 201) throw new Error(`seeding ${what}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/**
 * A few real rows, made through the API as clients make them (plus batches inserted as the dispatcher leaves them):
 * 3 stores, 4 riders with GPS fixes, 8 orders in several kitchen states, a picked-up, a sealed and an assigned batch. Generated
 * requests then use these ids most of the time, so they reach the handlers and the database, not only validation.
 */
export async function seedFuzzData(h: ApiHarness): Promise<FuzzSeed> {
  const tokens: SeedTokens = { operatorKeys: [], storeKeys: [], riderTokens: [], orderTokens: [] };
  // Once auth lands the harness holds an operator key (it sends it by default); pick it up if it is there.
  const operatorKey = (h as unknown as { operatorKey?: unknown }).operatorKey;
  if (typeof operatorKey === 'string') tokens.operatorKeys.push(operatorKey);

  const stores: string[] = [];
  for (const store of STORES) {
    const body = created(await h.call('POST', '/stores', store), 'a store');
    stores.push(body.id);
    if (typeof body.api_key === 'string') tokens.storeKeys.push(body.api_key);
  }
  const riders: string[] = [];
  for (const [i, name] of ['Ada', 'Bo', 'Chen', 'Dara'].entries()) {
    const body = created(
      await h.call('POST', '/riders', { name, status: 'idle', ...STORES[i % STORES.length] }),
      'a rider',
    );
    riders.push(body.id);
    if (typeof body.token === 'string') tokens.riderTokens.push(body.token);
    h.clock.advance(1_000);
    await h.call('POST', `/riders/${body.id}/location`, {
      ...DROPS[i % DROPS.length],
      recorded_at: new Date(h.clock.now()).toISOString(),
    });
  }
  const orders: string[] = [];
  for (let i = 0; i < 8; i++) {
    const body = created(
      await h.call('POST', '/orders', {
        store_id: stores[i % 2],
        drop: DROPS[i % DROPS.length],
        items: [{ name: 'margherita', qty: 1 + (i % 3) }],
        prep_minutes: 10,
      }),
      'an order',
    );
    orders.push(body.id);
    if (typeof body.read_token === 'string') tokens.orderTokens.push(body.read_token);
  }
  // Kitchen states: orders 4 and 5 cooking, 6 ready (0–3 go into batches below, 7 stays placed).
  for (const id of [orders[4], orders[5], orders[6]]) await h.call('POST', `/orders/${id}/cooking`);
  await h.call('POST', `/orders/${orders[6]}/ready`);

  const batches = [
    await insertBatch(h, {
      storeId: stores[0]!,
      pathId: await insertPathTemplate(h, stores[0]!, DROPS[0]!),
      orderIds: [orders[0]!, orders[2]!],
      status: 'assigned',
      riderId: riders[0]!,
    }),
    await insertBatch(h, {
      storeId: stores[1]!,
      pathId: await insertPathTemplate(h, stores[1]!, DROPS[1]!),
      orderIds: [orders[1]!, orders[3]!],
      status: 'sealed',
    }),
    await insertBatch(h, {
      storeId: stores[1]!,
      pathId: await insertPathTemplate(h, stores[1]!, DROPS[3]!),
      orderIds: [orders[7]!],
      status: 'assigned',
      riderId: riders[1]!,
    }),
  ];
  await h.geo.claimRider(riders[0]!, batches[0]!);
  await h.geo.claimRider(riders[1]!, batches[2]!);
  // The first batch is on its way (its rider's last fix is at its first drop), so drops can be confirmed; the third
  // waits for its pickup.
  const pickup = await h.call('POST', `/batches/${batches[0]}/pickup`, { rider_id: riders[0] });
  if (pickup.status !== 200) throw new Error(`seeding a pickup: ${pickup.status} ${JSON.stringify(pickup.body)}`);
  return { pools: { stores, riders, orders, batches }, tokens };
}
