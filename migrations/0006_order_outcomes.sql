-- Up Migration

-- Why an order ended cancelled: `customer` (POST /orders/{id}/cancel) or `drop_unreachable` (dispatch found no road
-- to the drop after the order was accepted, e.g. the road router was down at placement). NULL while not cancelled.
ALTER TABLE orders ADD COLUMN cancel_reason text NULL
  CHECK (cancel_reason IS NULL OR cancel_reason IN ('customer', 'drop_unreachable'));

-- Whether confirming this order's drop delivered its whole batch (it was the last drop). With the distance already
-- stored it lets a repeated confirmation (a client retry after a lost answer) replay the first answer exactly.
ALTER TABLE orders ADD COLUMN delivery_closed_batch boolean NULL;

-- Down Migration

ALTER TABLE orders DROP COLUMN delivery_closed_batch;
ALTER TABLE orders DROP COLUMN cancel_reason;
