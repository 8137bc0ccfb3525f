import { sql } from 'kysely';
import { offset } from '../internal/pipeline/test-fixtures.ts';
import { startDispatchStack } from '../tests/support/dispatch-stack.ts';
const stack = await startDispatchStack({ name: 'hops', inProcessWorker: process.argv.includes('--inproc') });
const { spawn } = await import('node:child_process');
const child = process.argv.includes('--inproc') ? undefined : spawn(process.execPath, ['--import', 'tsx', 'apps/worker/main.ts'], { env: { ...process.env, ...stack.env, LOG_LEVEL: 'warn' }, stdio: 'inherit' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const centre = { lat: 52.52, lon: 13.405 };
const store = (await stack.api('POST', '/stores', { name: 's', ...centre })).body.id;
for (let r = 0; r < 10; r++) await stack.api('POST', '/riders', { name: 'r', status: 'idle', ...offset(centre, 100 + r * 50, 0) });
for (let i = 0; i < 30; i++) {
  const drop = offset(centre, 900, (i % 3) * 100);
  const id = (await stack.api('POST', '/orders', { store_id: store, drop, items: [{ name: 'x', qty: 1 }], prep_minutes: 15 })).body.id;
  let b: string | undefined; for (let k = 0; k < 3000 && !b; k++) { b = (await stack.database.db.selectFrom('batch_orders').select('batch_id').where('order_id', '=', id).executeTakeFirst())?.batch_id; if (!b) await sleep(10); }
  await stack.api('POST', `/orders/${id}/ready`);
  let a: Date | null = null; for (let k = 0; k < 3000 && !a; k++) { a = (await stack.database.db.selectFrom('batches').select('assigned_at').where('id', '=', b!).executeTakeFirstOrThrow()).assigned_at; if (!a) await sleep(5); }
  const rider = (await stack.database.db.selectFrom('batches').select('rider_id').where('id', '=', b!).executeTakeFirstOrThrow()).rider_id;
  await stack.api('POST', `/batches/${b}/pickup`, { rider_id: rider });
  await stack.api('POST', `/batches/${b}/confirm-delivery`, { order_id: id, rider_id: rider, ...drop });
}
const rows = await sql<any>`
 select o.ready_marked_at, b.sealed_at, b.assigned_at,
   (select created_at from outbox where topic='order.ready' and event->'payload'->>'orderId'=o.id::text) r_c,
   (select published_at from outbox where topic='order.ready' and event->'payload'->>'orderId'=o.id::text) r_p,
   (select published_at from outbox where topic='routes.refine' and event->'payload'->>'batchId'=b.id::text) f_p,
   (select created_at from outbox where topic='routes.refined' and event->'payload'->>'batchId'=b.id::text) d_c,
   (select published_at from outbox where topic='routes.refined' and event->'payload'->>'batchId'=b.id::text) d_p
 from batches b join batch_orders bo on bo.batch_id=b.id join orders o on o.id=bo.order_id where b.assigned_at is not null`.execute(stack.database.db);
const ms = (a: Date, b: Date) => b.getTime() - a.getTime();
const cols: Record<string, number[]> = { relay1: [], consume1: [], relay2: [], consume2: [], relay3: [], consume3: [], total: [] };
for (const r of rows.rows) {
  cols.relay1!.push(ms(r.r_c, r.r_p)); cols.consume1!.push(ms(r.r_p, r.sealed_at));
  cols.relay2!.push(ms(r.sealed_at, r.f_p)); cols.consume2!.push(ms(r.f_p, r.d_c));
  cols.relay3!.push(ms(r.d_c, r.d_p)); cols.consume3!.push(ms(r.d_p, r.assigned_at)); cols.total!.push(ms(r.ready_marked_at, r.assigned_at));
}
for (const [k, v] of Object.entries(cols)) { v.sort((a, b) => a - b); console.log(k, 'p50', v[Math.floor(v.length / 2)], 'p90', v[Math.floor(v.length * 0.9)], 'max', v[v.length - 1]); }
child?.kill('SIGTERM'); await sleep(3000);
await stack.close();
