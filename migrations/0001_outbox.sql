-- Up Migration

-- Transactional outbox: domain writes insert their events here in the same transaction; the relay
-- (internal/outbox/outbox-relay.ts) publishes them to the bus in id order and stamps published_at.
CREATE TABLE outbox (
  id           bigserial PRIMARY KEY,
  topic        text        NOT NULL,
  key          text        NOT NULL,
  -- The full Event envelope: { id, type, occurredAt, payload }.
  event        jsonb       NOT NULL,
  headers      jsonb       NOT NULL DEFAULT '{}'::jsonb,
  created_at   timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz NULL,
  attempts     integer     NOT NULL DEFAULT 0,
  last_error   text        NULL
);

-- The relay only ever scans unpublished rows in id order; a partial index keeps that scan small
-- however many published rows accumulate.
CREATE INDEX outbox_unpublished_idx ON outbox (id) WHERE published_at IS NULL;

-- Postgres-side idempotency for consumers whose effects live in Postgres: insert (group, event id) in the
-- same transaction as the effect; a redelivered event hits the primary key and is skipped.
CREATE TABLE processed_events (
  consumer_group text        NOT NULL,
  event_id       text        NOT NULL,
  processed_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer_group, event_id)
);

-- Down Migration

DROP TABLE processed_events;
DROP TABLE outbox;
