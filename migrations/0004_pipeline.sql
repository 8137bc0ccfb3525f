-- Up Migration

-- Hot paths being built: one row per (store, cell) while its path.provision is pending, so a burst of orders into a
-- cell without a path asks for it once. The batcher inserts it (ON CONFLICT DO NOTHING: only the inserter emits the
-- event) in the transaction that parks the order; the provisioner deletes it when the path is stored and indexed.
CREATE TABLE path_provision_requests (
  store_id      uuid        NOT NULL REFERENCES stores (id),
  h3_cell       text        NOT NULL,
  requested_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (store_id, h3_cell)
);

-- Down Migration

DROP TABLE path_provision_requests;
