-- Up Migration

-- The list endpoints (GET /orders, /riders, /batches) page newest first by (timestamp, id) with keyset cursors
-- (internal/db/keyset-page.ts). Each filter they take leads one index, so a page is an index range scan whatever
-- the table's size; btree indexes serve the descending order by scanning backwards.
CREATE INDEX orders_placed_idx ON orders (placed_at, id);
CREATE INDEX orders_status_placed_idx ON orders (status, placed_at, id);
CREATE INDEX orders_store_placed_idx ON orders (store_id, placed_at, id);

CREATE INDEX riders_created_idx ON riders (created_at, id);

CREATE INDEX batches_opened_idx ON batches (opened_at, id);
CREATE INDEX batches_status_opened_idx ON batches (status, opened_at, id);
CREATE INDEX batches_store_opened_idx ON batches (store_id, opened_at, id);
CREATE INDEX batches_rider_opened_idx ON batches (rider_id, opened_at, id);

-- Down Migration

DROP INDEX batches_rider_opened_idx;
DROP INDEX batches_store_opened_idx;
DROP INDEX batches_status_opened_idx;
DROP INDEX batches_opened_idx;
DROP INDEX riders_created_idx;
DROP INDEX orders_store_placed_idx;
DROP INDEX orders_status_placed_idx;
DROP INDEX orders_placed_idx;
