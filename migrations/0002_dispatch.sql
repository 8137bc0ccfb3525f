-- Up Migration

-- Stores are data, created through POST /stores; orders are picked up there.
CREATE TABLE stores (
  id          uuid PRIMARY KEY,
  name        text             NOT NULL,
  lat         double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
  lon         double precision NOT NULL CHECK (lon BETWEEN -180 AND 180),
  h3_cell     text             NOT NULL,
  created_at  timestamptz      NOT NULL DEFAULT now()
);

-- Riders: the status is the truth; Redis only mirrors who is available and where.
CREATE TABLE riders (
  id               uuid PRIMARY KEY,
  name             text        NOT NULL,
  status           text        NOT NULL DEFAULT 'offline'
                   CHECK (status IN ('offline', 'idle', 'assigned', 'delivering')),
  last_lat         double precision NULL,
  last_lon         double precision NULL,
  last_seen_at     timestamptz NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);

-- Hot paths: the road route from a store toward an H3 cell (id = hash of store and cell). corridor_cells are the
-- cells along the route; Redis indexes the path under each of them so orders near the way match too.
CREATE TABLE path_templates (
  id              text PRIMARY KEY,
  store_id        uuid             NOT NULL REFERENCES stores (id),
  h3_cell         text             NOT NULL,
  h3_resolution   integer          NOT NULL,
  target_lat      double precision NOT NULL,
  target_lon      double precision NOT NULL,
  geometry        jsonb            NOT NULL,
  distance_m      double precision NOT NULL CHECK (distance_m >= 0),
  duration_s      double precision NOT NULL CHECK (duration_s >= 0),
  corridor_cells  text[]           NOT NULL,
  router          text             NOT NULL,
  created_at      timestamptz      NOT NULL DEFAULT now(),
  UNIQUE (store_id, h3_cell)
);

CREATE TABLE orders (
  id               uuid PRIMARY KEY,
  store_id         uuid             NOT NULL REFERENCES stores (id),
  -- A retried POST /orders with the same key returns this order instead of creating another.
  idempotency_key  text             NULL UNIQUE,
  request_hash     text             NULL,
  drop_lat         double precision NOT NULL CHECK (drop_lat BETWEEN -90 AND 90),
  drop_lon         double precision NOT NULL CHECK (drop_lon BETWEEN -180 AND 180),
  h3_cell          text             NOT NULL,
  items            jsonb            NOT NULL,
  status           text             NOT NULL DEFAULT 'placed'
                   CHECK (status IN ('placed', 'cooking', 'ready', 'batched', 'assigned', 'picked_up', 'delivered', 'cancelled')),
  path_id          text             NULL REFERENCES path_templates (id),
  placed_at        timestamptz      NOT NULL,
  -- When the kitchen expects it ready (from prep minutes or ready_at); known at placement.
  ready_at         timestamptz      NOT NULL,
  -- When the store marked it ready: the start of the 30-second matching SLA.
  ready_marked_at  timestamptz      NULL,
  promised_at      timestamptz      NOT NULL,
  batched_at       timestamptz      NULL,
  assigned_at      timestamptz      NULL,
  picked_up_at     timestamptz      NULL,
  delivered_at     timestamptz      NULL,
  cancelled_at     timestamptz      NULL,
  -- Where the rider stood when the drop was confirmed, and how far that was from the customer.
  delivered_lat    double precision NULL,
  delivered_lon    double precision NULL,
  delivery_distance_m double precision NULL,
  updated_at       timestamptz      NOT NULL DEFAULT now()
);
CREATE INDEX orders_store_status_idx ON orders (store_id, status);
CREATE INDEX orders_waiting_path_idx ON orders (store_id, h3_cell) WHERE path_id IS NULL AND status IN ('placed', 'cooking', 'ready');

-- A batch: orders of one store along one hot path, sealed, then given to one rider.
CREATE TABLE batches (
  id                   uuid PRIMARY KEY,
  store_id             uuid             NOT NULL REFERENCES stores (id),
  path_id              text             NOT NULL REFERENCES path_templates (id),
  status               text             NOT NULL DEFAULT 'open'
                       CHECK (status IN ('open', 'sealed', 'assigned', 'picked_up', 'delivered', 'cancelled')),
  capacity             integer          NOT NULL CHECK (capacity > 0),
  order_count          integer          NOT NULL DEFAULT 0 CHECK (order_count >= 0 AND order_count <= capacity),
  opened_at            timestamptz      NOT NULL,
  window_closes_at     timestamptz      NOT NULL,
  latest_departure_at  timestamptz      NOT NULL,
  ready_at             timestamptz      NOT NULL,
  sealed_at            timestamptz      NULL,
  seal_reason          text             NULL,
  -- Seconds the batching step believed the route would take (sum of insertion detours), and what the optimizer found.
  estimated_cost_s     double precision NOT NULL DEFAULT 0,
  refined_cost_s       double precision NULL,
  -- The optimizer's stop order: [{order_id, lat, lon, eta}], pickup first.
  stops                jsonb            NULL,
  rider_id             uuid             NULL REFERENCES riders (id),
  assigned_at          timestamptz      NULL,
  picked_up_at         timestamptz      NULL,
  delivered_at         timestamptz      NULL,
  updated_at           timestamptz      NOT NULL DEFAULT now()
);
CREATE INDEX batches_open_idx ON batches (store_id, path_id) WHERE status = 'open';
CREATE INDEX batches_waiting_rider_idx ON batches (ready_at) WHERE status = 'sealed';
-- No rider on two batches at once, whatever the application does.
CREATE UNIQUE INDEX batches_one_active_per_rider ON batches (rider_id) WHERE status IN ('assigned', 'picked_up');

-- Which orders a batch holds; an order is in at most one batch (the unique order_id).
CREATE TABLE batch_orders (
  batch_id   uuid             NOT NULL REFERENCES batches (id),
  order_id   uuid             NOT NULL UNIQUE REFERENCES orders (id),
  sequence   integer          NOT NULL,
  detour_s   double precision NOT NULL DEFAULT 0,
  added_at   timestamptz      NOT NULL DEFAULT now(),
  PRIMARY KEY (batch_id, order_id)
);

-- Regret of each batching decision: (refined − estimated) / estimated, written by the regret worker.
CREATE TABLE batch_regret (
  batch_id     uuid PRIMARY KEY REFERENCES batches (id),
  estimated_s  double precision NOT NULL,
  refined_s    double precision NOT NULL,
  regret       double precision NOT NULL,
  order_count  integer          NOT NULL,
  computed_at  timestamptz      NOT NULL DEFAULT now()
);

-- Down Migration

DROP TABLE batch_regret;
DROP TABLE batch_orders;
DROP TABLE batches;
DROP TABLE orders;
DROP TABLE path_templates;
DROP TABLE riders;
DROP TABLE stores;
