-- Up Migration

-- When the store said it started cooking (POST /orders/{id}/cooking). The kitchen's steps are facts about the food,
-- accepted whatever dispatch has done with the order by then: an order batched within a second of placement keeps its
-- `batched` status, and this column (like `ready_marked_at`) tells where the kitchen is. NULL until then.
ALTER TABLE orders ADD COLUMN cooking_started_at timestamptz NULL;

-- Down Migration

ALTER TABLE orders DROP COLUMN cooking_started_at;
