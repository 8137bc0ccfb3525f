import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { batchesWhere, type ResolvedFilter } from './analytics-filter.ts';

/** A GPS fix at most this old at a sample instant puts the rider on shift then. */
export const ON_SHIFT_FIX_S = 300;
/** At most this many samples per rider: the step grows past a minute for ranges over a day. */
const MAX_SAMPLES = 1_440;

export interface RiderUtilisationRow {
  rider_id: string;
  name: string;
  on_shift_s: number;
  busy_s: number;
  utilisation: number | null;
}

export interface RiderUtilisation {
  /** Seconds between samples. */
  step_s: number;
  /** How fresh a GPS fix must be for the rider to count as on shift. */
  fix_s: number;
  on_shift_s: number;
  busy_s: number;
  /** busy_s / on_shift_s over all riders; null when nobody was on shift. */
  utilisation: number | null;
  /** Riders on shift at some sample, busiest share first. */
  riders: RiderUtilisationRow[];
}

/** Seconds between samples over a range of `rangeMs`: a minute, or whole minutes so a range has at most 1 440. */
export function sampleStepS(rangeMs: number): number {
  return Math.max(1, Math.ceil(rangeMs / 1000 / MAX_SAMPLES / 60)) * 60;
}

/**
 * Share of on-shift time riders spent busy, by sampling: at every `step_s` from `from` (inclusive) to `to`
 * (exclusive), a rider is *busy* when one of its batches was assigned at or before the instant and not yet delivered
 * (nor cancelled) at it, and *on shift* when busy or when it recorded a GPS fix in the `ON_SHIFT_FIX_S` seconds up
 * to the instant. Each sample stands for `step_s` seconds. There is no shift table: riders send fixes while online
 * and stop when they go offline, so the fixes are the record of the shift. With a store or area filter, the riders are
 * those who carried a matching batch that overlapped the range (their whole time counts).
 */
export async function riderUtilisation(db: Kysely<Database>, f: ResolvedFilter): Promise<RiderUtilisation> {
  const stepS = sampleStepS(f.to.getTime() - f.from.getTime());
  const step = sql.lit(`${stepS} seconds`);
  const fix = sql.lit(`${ON_SHIFT_FIX_S} seconds`);
  const batchEnd = sql`coalesce(b.delivered_at, case when b.status = 'cancelled' then b.updated_at end, 'infinity'::timestamptz)`;
  const filtered = f.storeId || f.cells;
  const { rows } = await sql<{ rider_id: string; name: string; on_shift: string; busy: string }>`
    with samples as (
      select t from generate_series(${f.from}::timestamptz, ${f.to}::timestamptz, ${step}::interval) as t
      where t < ${f.to}
    ),
    candidates as (
      select distinct rider_id from rider_locations
      where recorded_at > ${f.from}::timestamptz - ${fix}::interval and recorded_at < ${f.to}
      union
      select distinct b.rider_id from batches b
      where b.rider_id is not null and b.assigned_at < ${f.to} and ${batchEnd} > ${f.from}
    ),
    chosen as (
      select c.rider_id from candidates c
      ${
        filtered
          ? sql`where exists (select 1 from batches b where b.rider_id = c.rider_id and b.assigned_at < ${f.to}
                and ${batchEnd} > ${f.from} and ${batchesWhere(f)})`
          : sql``
      }
    ),
    states as (
      select ch.rider_id, s.t,
        exists (select 1 from batches b where b.rider_id = ch.rider_id and b.assigned_at <= s.t and s.t < ${batchEnd})
          as busy,
        exists (select 1 from rider_locations l where l.rider_id = ch.rider_id
                and l.recorded_at > s.t - ${fix}::interval and l.recorded_at <= s.t) as fixed
      from chosen ch cross join samples s
    )
    select st.rider_id, r.name,
      count(*) filter (where st.busy or st.fixed) as on_shift,
      count(*) filter (where st.busy) as busy
    from states st join riders r on r.id = st.rider_id
    group by st.rider_id, r.name
    having count(*) filter (where st.busy or st.fixed) > 0`.execute(db);
  const riders = rows
    .map((r) => {
      const onShift = Number(r.on_shift) * stepS;
      const busy = Number(r.busy) * stepS;
      return { rider_id: r.rider_id, name: r.name, on_shift_s: onShift, busy_s: busy, utilisation: busy / onShift };
    })
    .sort((a, b) => b.utilisation - a.utilisation || (a.rider_id < b.rider_id ? -1 : 1));
  const onShift = riders.reduce((s, r) => s + r.on_shift_s, 0);
  const busy = riders.reduce((s, r) => s + r.busy_s, 0);
  return {
    step_s: stepS,
    fix_s: ON_SHIFT_FIX_S,
    on_shift_s: onShift,
    busy_s: busy,
    utilisation: onShift === 0 ? null : busy / onShift,
    riders,
  };
}
