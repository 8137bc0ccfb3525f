-- Up Migration

-- GPS history: one row per ping, range-partitioned by day on the device's recorded_at so a day's pings share a
-- partition (cheap range scans for /riders/{id}/route, cheap retention by DROP TABLE of old days).
-- The primary key makes a redelivered ping (at-least-once from the rider.location topic) a no-op with
-- ON CONFLICT DO NOTHING. No foreign key to riders: history is write-heavy and the API checks the rider already.
CREATE TABLE rider_locations (
  rider_id     uuid             NOT NULL,
  recorded_at  timestamptz      NOT NULL,
  lat          double precision NOT NULL,
  lon          double precision NOT NULL,
  speed        real             NULL,
  heading      real             NULL,
  accuracy     real             NULL,
  received_at  timestamptz      NOT NULL DEFAULT now(),
  PRIMARY KEY (rider_id, recorded_at)
) PARTITION BY RANGE (recorded_at);

-- Pings outside every daily partition (a device with a wrong clock) land here instead of failing the batch.
CREATE TABLE rider_locations_default PARTITION OF rider_locations DEFAULT;

-- Creates the daily partitions covering [day, day + days) (UTC days), named rider_locations_YYYYMMDD.
-- Idempotent: CREATE TABLE IF NOT EXISTS, so the worker's daily maintenance loop (and several workers at once) can
-- call it freely. Returns how many partitions it created.
CREATE OR REPLACE FUNCTION ensure_rider_location_partitions(first_day date, days integer)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  d date;
  created integer := 0;
  part text;
BEGIN
  FOR i IN 0 .. days - 1 LOOP
    d := first_day + i;
    part := 'rider_locations_' || to_char(d, 'YYYYMMDD');
    IF to_regclass(part) IS NULL THEN
      -- Serialise concurrent creators (two workers at midnight) on one advisory lock per day.
      PERFORM pg_advisory_xact_lock(hashtext(part));
      IF to_regclass(part) IS NULL THEN
        EXECUTE format(
          'CREATE TABLE IF NOT EXISTS %I PARTITION OF rider_locations FOR VALUES FROM (%L) TO (%L)',
          part,
          (d::timestamp AT TIME ZONE 'UTC'),
          ((d + 1)::timestamp AT TIME ZONE 'UTC')
        );
        created := created + 1;
      END IF;
    END IF;
  END LOOP;
  RETURN created;
END
$$;

-- today − 1 … today + 7 (UTC).
SELECT ensure_rider_location_partitions((now() AT TIME ZONE 'UTC')::date - 1, 9);

-- Down Migration

DROP FUNCTION ensure_rider_location_partitions(date, integer);
DROP TABLE rider_locations;
