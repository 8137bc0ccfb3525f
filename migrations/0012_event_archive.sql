-- Up Migration

-- Bronze of the medallion export (issue 14 item 6; internal/export/): every message the worker's `analytics-archive`
-- consumer groups consumed, as consumed — topic, partition, offset, key, headers and the value's text, parseable or
-- not. Append-only. `event_id`, `event_type` and `occurred_at` are read from the envelope when it parses (NULL when
-- not); `event_at` is the instant the export partitions on: `occurred_at`, or `consumed_at` for an unreadable message.
--
-- At-least-once delivery redelivers a message with the same topic, partition, offset and bytes: the unique key
-- swallows it, so a redelivery never doubles bronze. The value's hash is part of the key because an offset alone is
-- reused when a topic is recreated (or the in-process bus of `npm start` restarts), and then it is another message.
CREATE TABLE event_archive (
  id            bigserial   PRIMARY KEY,
  topic         text        NOT NULL,
  partition     integer     NOT NULL,
  "offset"      text        NOT NULL,
  key           text        NOT NULL,
  headers       jsonb       NOT NULL DEFAULT '{}'::jsonb,
  value         text        NOT NULL,
  value_sha256  text        NOT NULL,
  event_id      text        NULL,
  event_type    text        NULL,
  occurred_at   timestamptz NULL,
  event_at      timestamptz NOT NULL,
  consumed_at   timestamptz NOT NULL,
  UNIQUE (topic, partition, "offset", value_sha256)
);

-- The export reads one range of event instants at a time.
CREATE INDEX event_archive_event_at_idx ON event_archive (event_at);

-- Down Migration

DROP TABLE event_archive;
