-- Up Migration

-- Regret in hindsight (docs/dispatch-quality.md, "Regret"). The old figure, (refined − estimated) / estimated, was the
-- batching step's estimate error, not a regret: it keeps its columns under an honest name.
ALTER TABLE batch_regret RENAME COLUMN regret TO estimate_error;

-- Written by the worker's hindsight job once a batch and its decision window are over; NULL until then.
ALTER TABLE batch_regret
  ADD COLUMN store_id         uuid             NULL REFERENCES stores (id),
  -- When the rider was committed to the batch: the hour a decision is counted in.
  ADD COLUMN decided_at       timestamptz      NULL,
  -- Weighted seconds (rider + ready-to-door + 2 × late) of the decision as executed, and of the best alternative.
  ADD COLUMN realised_s       double precision NULL CHECK (realised_s >= 0),
  ADD COLUMN hindsight_best_s double precision NULL CHECK (hindsight_best_s >= 0),
  ADD COLUMN regret_s         double precision NULL CHECK (regret_s >= 0),
  -- regret_s / realised_s.
  ADD COLUMN relative         double precision NULL CHECK (relative >= 0),
  -- The same cost from the recorded drop times (the execution gap shows as actual_s − realised_s).
  ADD COLUMN actual_s         double precision NULL,
  ADD COLUMN alternative      text             NULL
    CHECK (alternative IS NULL OR alternative IN ('as_executed', 'resequence', 'other_rider', 'split', 'merge')),
  -- The earlier batch the best plan merges with, and the best plan's trips [{rider_id, order_ids}].
  ADD COLUMN merged_with      uuid             NULL,
  ADD COLUMN best_trips       jsonb            NULL,
  ADD COLUMN hindsight_at     timestamptz      NULL;

UPDATE batch_regret r SET store_id = b.store_id FROM batches b WHERE b.id = r.batch_id;

-- /analytics/regret and /stats/regret read the computed rows by decision time (and store).
CREATE INDEX batch_regret_decided_idx ON batch_regret (decided_at, store_id) WHERE regret_s IS NOT NULL;
-- The hindsight job looks for delivered batches decided in the last day, every few seconds.
CREATE INDEX batches_delivered_decided_idx ON batches (assigned_at) WHERE status = 'delivered';

-- Down Migration

DROP INDEX batches_delivered_decided_idx;
DROP INDEX batch_regret_decided_idx;
ALTER TABLE batch_regret
  DROP COLUMN hindsight_at,
  DROP COLUMN best_trips,
  DROP COLUMN merged_with,
  DROP COLUMN alternative,
  DROP COLUMN actual_s,
  DROP COLUMN relative,
  DROP COLUMN regret_s,
  DROP COLUMN hindsight_best_s,
  DROP COLUMN realised_s,
  DROP COLUMN decided_at,
  DROP COLUMN store_id;
ALTER TABLE batch_regret RENAME COLUMN estimate_error TO regret;
