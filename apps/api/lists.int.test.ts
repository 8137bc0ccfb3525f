import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCursor } from './schemas/page.ts';
import {
  createApiHarness,
  insertBatch,
  insertPathTemplate,
  type ApiHarness,
  HARNESS_BACKENDS,
} from './testing/api-harness.ts';

type Listed = { id: string };

describe.each(HARNESS_BACKENDS)('list endpoints on the %s stores', (backend) => {
  let h: ApiHarness;
  let storeA: string;
  let storeB: string;
  const HERE = { lat: 43.7384, lon: 7.4246 };
  const DROP = { lat: 43.7402, lon: 7.4291 };

  beforeAll(async () => {
    h = await createApiHarness('api_lists', backend);
    storeA = (await h.call('POST', '/stores', { name: 'A', ...HERE })).body.id;
    storeB = (await h.call('POST', '/stores', { name: 'B', lat: 43.735, lon: 7.421 })).body.id;
  });
  afterAll(async () => {
    await h?.close();
  });

  const place = async (storeId: string): Promise<string> => {
    const res = await h.call('POST', '/orders', {
      store_id: storeId,
      drop: DROP,
      items: [{ name: 'x', qty: 1 }],
      prep_minutes: 10,
    });
    expect(res.status).toBe(201);
    return res.body.id;
  };

  /** Every item of a list, following next_cursor page by page; also answers the pages' sizes. */
  async function pageThrough(path: string, limit: number): Promise<{ ids: string[]; sizes: number[] }> {
    const ids: string[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const sep = path.includes('?') ? '&' : '?';
      const res = await h.call('GET', `${path}${sep}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      ids.push(...res.body.items.map((i: Listed) => i.id));
      sizes.push(res.body.items.length);
      cursor = res.body.next_cursor;
      expect(sizes.length).toBeLessThan(100);
    } while (cursor !== null);
    return { ids, sizes };
  }

  /** Newest first by (timestamp, id), as the API promises — computed here from the rows themselves. */
  const newestFirst = (rows: Array<{ id: string; at: string }>) =>
    [...rows].sort((a, b) => (a.at === b.at ? (a.id < b.id ? 1 : -1) : a.at < b.at ? 1 : -1)).map((r) => r.id);

  describe('GET /orders', () => {
    let placed: string[] = [];
    let cooking: string[] = [];
    let sinceIso = '';

    beforeAll(async () => {
      // Seven orders over four instants: ties on placed_at must be ordered by id, not lost between pages.
      for (const [i, store] of [storeA, storeA, storeB, storeA, storeB, storeA, storeB].entries()) {
        if (i % 2 === 0) h.clock.advance(60_000);
        if (i === 4) sinceIso = new Date(h.clock.now()).toISOString();
        placed.push(await place(store));
      }
      cooking = [placed[1]!, placed[4]!];
      for (const id of cooking) expect((await h.call('POST', `/orders/${id}/cooking`)).status).toBe(200);
    });

    it('pages through every order newest first, without duplicates or gaps, in the order the API promises', async () => {
      const rows = await h.database.db
        .selectFrom('orders')
        .select(['id', sql<string>`to_char(placed_at, 'YYYYMMDDHH24MISSUS')`.as('at')])
        .execute();
      const expected = newestFirst(rows);
      expect(expected).toHaveLength(placed.length);
      const { ids, sizes } = await pageThrough('/orders', 3);
      expect(ids).toEqual(expected);
      expect(sizes).toEqual([3, 3, 1]);

      const whole = await h.call('GET', '/orders');
      expect(whole.body.next_cursor).toBeNull();
      expect(whole.body.items.map((o: Listed) => o.id)).toEqual(expected);
      // Each item is the order as GET /orders/{id} shows it.
      expect(whole.body.items[0]).toEqual((await h.call('GET', `/orders/${expected[0]}`)).body);
    });

    it('shows an order placed while a client pages on no later page (it lands before page one)', async () => {
      const first = await h.call('GET', '/orders?limit=4');
      h.clock.advance(60_000);
      const late = await place(storeA);
      const rest = await pageThrough(`/orders?cursor=${first.body.next_cursor}`, 4);
      const seen = [...first.body.items.map((o: Listed) => o.id), ...rest.ids];
      expect(seen).not.toContain(late);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.sort()).toEqual([...placed].sort());
      expect((await h.call('GET', '/orders?limit=1')).body.items[0].id).toBe(late);
      placed = [...placed, late];
    });

    it('filters by status, store and since, alone and combined', async () => {
      const ids = async (query: string) => (await pageThrough(`/orders?${query}`, 2)).ids.sort();
      expect(await ids('status=cooking')).toEqual([...cooking].sort());
      expect(await ids('status=delivered')).toEqual([]);
      const ofB = [placed[2]!, placed[4]!, placed[6]!].sort();
      expect(await ids(`store_id=${storeB}`)).toEqual(ofB);
      const since = placed.slice(4).sort();
      expect(await ids(`since=${encodeURIComponent(sinceIso)}`)).toEqual(since);
      expect(await ids(`store_id=${storeB}&status=cooking&since=${encodeURIComponent(sinceIso)}`)).toEqual([
        placed[4]!,
      ]);
      expect(await ids(`store_id=${storeB}&status=placed`)).toEqual([placed[2]!, placed[6]!].sort());
    });

    it('answers a bad filter, limit, cursor or unknown parameter with 400 naming it', async () => {
      const fieldOf = async (query: string) => {
        const res = await h.call('GET', `/orders?${query}`);
        expect(res.status, query).toBe(400);
        expect(res.body.error.code).toBe('request.invalid_input');
        return res.body.error.field;
      };
      expect(await fieldOf('status=lost')).toBe('status');
      expect(await fieldOf('store_id=not-a-uuid')).toBe('store_id');
      expect(await fieldOf('since=yesterday')).toBe('since');
      expect(await fieldOf('limit=0')).toBe('limit');
      expect(await fieldOf('limit=501')).toBe('limit');
      expect(await fieldOf('limit=ten')).toBe('limit');
      expect(await fieldOf('cursor=garbage!')).toBe('cursor');
      expect(await fieldOf(`cursor=${Buffer.from('{"at":"yesterday","id":"x"}').toString('base64url')}`)).toBe(
        'cursor',
      );
      expect(await fieldOf(`cursor=${Buffer.from('[1,2]').toString('base64url')}`)).toBe('cursor');
      expect(await fieldOf('stauts=placed')).toBe('stauts');
    });
  });

  describe('GET /riders', () => {
    const riders: string[] = [];

    beforeAll(async () => {
      for (const [i, name] of ['Ada', 'Bo', 'Cy', 'Di', 'Ed'].entries()) {
        h.clock.advance(1_000);
        const res = await h.call('POST', '/riders', { name, ...HERE, status: i % 2 === 0 ? 'idle' : 'offline' });
        expect(res.status).toBe(201);
        riders.push(res.body.id);
      }
    });

    it('pages newest first, filters by status, and shows the batch a rider carries', async () => {
      expect((await pageThrough('/riders', 2)).ids).toEqual([...riders].reverse());
      expect((await pageThrough('/riders?status=idle', 1)).ids).toEqual([riders[4], riders[2], riders[0]]);
      expect((await pageThrough('/riders?status=offline', 5)).ids).toEqual([riders[3], riders[1]]);

      const order = await place(storeA);
      const pathId = await insertPathTemplate(h, storeA, DROP);
      const batchId = await insertBatch(h, {
        storeId: storeA,
        pathId,
        orderIds: [order],
        status: 'assigned',
        riderId: riders[0]!,
      });
      const assigned = await h.call('GET', '/riders?status=assigned');
      expect(assigned.body.items).toEqual([(await h.call('GET', `/riders/${riders[0]}`)).body]);
      expect(assigned.body.items[0]).toMatchObject({ status: 'assigned', batch_id: batchId });
    });

    it('keeps rows apart that differ below the millisecond (the cursor carries microseconds)', async () => {
      // Three riders whose created_at differ by microseconds: a millisecond cursor would skip or repeat them.
      const ids = riders.slice(0, 3);
      for (const [i, id] of ids.entries()) {
        await sql`update riders set created_at = ${`2030-01-01T00:00:00.00000${i + 1}Z`}::timestamptz where id = ${id}`.execute(
          h.database.db,
        );
      }
      const { ids: listed, sizes } = await pageThrough('/riders', 1);
      expect(listed.slice(0, 3)).toEqual([...ids].reverse());
      expect(new Set(listed).size).toBe(riders.length);
      expect(sizes.every((n) => n === 1)).toBe(true);
    });

    it('answers a bad status or cursor with 400 naming it', async () => {
      const bad = await h.call('GET', '/riders?status=asleep');
      expect(bad).toMatchObject({ status: 400, body: { error: { code: 'request.invalid_input', field: 'status' } } });
      const cursor = await h.call(
        'GET',
        `/riders?cursor=${encodeCursor({ at: '2026-11-22T12:00:00.000Z', id: riders[0]! })}`,
      );
      expect(cursor).toMatchObject({ status: 400, body: { error: { field: 'cursor' } } });
    });
  });

  describe('GET /batches', () => {
    const batches: Array<{ id: string; store: string; status: string; rider: string | null }> = [];

    beforeAll(async () => {
      await h.database.db.deleteFrom('batch_orders').execute();
      await h.database.db.deleteFrom('batches').execute();
      const rider = (await h.call('POST', '/riders', { name: 'Fay', ...HERE, status: 'idle' })).body.id;
      const plan = [
        { store: storeA, status: 'open' as const },
        { store: storeB, status: 'sealed' as const },
        { store: storeA, status: 'assigned' as const, rider },
        { store: storeB, status: 'open' as const },
        { store: storeA, status: 'sealed' as const },
      ];
      for (const p of plan) {
        h.clock.advance(30_000);
        const orders = [await place(p.store), await place(p.store)];
        const pathId = await insertPathTemplate(h, p.store, DROP);
        const id = await insertBatch(h, {
          storeId: p.store,
          pathId,
          orderIds: orders,
          status: p.status,
          ...(p.rider ? { riderId: p.rider } : {}),
        });
        batches.push({ id, store: p.store, status: p.status, rider: p.rider ?? null });
      }
    });

    it('pages newest first, each batch as GET /batches/{id} shows it with its orders', async () => {
      const { ids, sizes } = await pageThrough('/batches', 2);
      expect(ids).toEqual(batches.map((b) => b.id).reverse());
      expect(sizes).toEqual([2, 2, 1]);
      const page = await h.call('GET', '/batches?limit=1');
      expect(page.body.items).toEqual([(await h.call('GET', `/batches/${batches[4]!.id}`)).body]);
      expect(page.body.items[0].orders).toHaveLength(2);
    });

    it('filters by status, store and rider, alone and combined', async () => {
      const ids = async (query: string) => (await pageThrough(`/batches?${query}`, 1)).ids;
      const expect_ = (pick: (b: (typeof batches)[number]) => boolean) =>
        batches
          .filter(pick)
          .map((b) => b.id)
          .reverse();
      expect(await ids('status=open')).toEqual(expect_((b) => b.status === 'open'));
      expect(await ids(`store_id=${storeA}`)).toEqual(expect_((b) => b.store === storeA));
      expect(await ids(`store_id=${storeB}&status=sealed`)).toEqual(
        expect_((b) => b.store === storeB && b.status === 'sealed'),
      );
      const rider = batches[2]!.rider!;
      expect(await ids(`rider_id=${rider}`)).toEqual([batches[2]!.id]);
      expect(await ids(`rider_id=${rider}&status=open`)).toEqual([]);
    });

    it('answers bad filters with 400 naming them', async () => {
      for (const [query, field] of [
        ['status=lost', 'status'],
        ['rider_id=7', 'rider_id'],
        ['store_id=', 'store_id'],
        ['cursor=', 'cursor'],
      ]) {
        const res = await h.call('GET', `/batches?${query}`);
        expect(res, query).toMatchObject({ status: 400, body: { error: { code: 'request.invalid_input', field } } });
      }
    });
  });
});
