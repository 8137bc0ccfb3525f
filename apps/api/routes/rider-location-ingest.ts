import type { z } from '@hono/zod-openapi';
import type { PingInput, TelemetryService } from '../../../internal/telemetry/telemetry-service.ts';
import type {
  PingAcceptedSchema,
  PingBatchAcceptedSchema,
  PingBatchSchema,
  PingSchema,
} from './rider-location-schemas.ts';

type PingBody = z.infer<typeof PingSchema>;

/** A validated ping body → the service's ping (times in ms since the epoch; absent optionals stay absent). */
const pingInputOf = (body: PingBody): PingInput =>
  withOptionals({ lat: body.lat, lon: body.lon, recordedAt: Date.parse(body.recorded_at) }, body);

/** The same for a bulk post's ping: one object per ping, its rider id in it (no spread copy). */
const riderPingOf = (body: PingBody & { rider_id: string }): PingInput & { riderId: string } =>
  withOptionals(
    { riderId: body.rider_id, lat: body.lat, lon: body.lon, recordedAt: Date.parse(body.recorded_at) },
    body,
  );

function withOptionals<P extends PingInput>(ping: P, body: PingBody): P {
  if (body.speed !== undefined) ping.speed = body.speed;
  if (body.heading !== undefined) ping.heading = body.heading;
  if (body.accuracy !== undefined) ping.accuracy = body.accuracy;
  return ping;
}

/**
 * What `POST /riders/{id}/location` does with a validated body — shared by the Hono route (the documented one, and
 * what in-process `app.request` tests hit) and the ingest lane that serves it over HTTP (ingest-lane.ts).
 */
export async function ingestPing(
  telemetry: TelemetryService,
  riderId: string,
  body: PingBody,
): Promise<z.infer<typeof PingAcceptedSchema>> {
  const { applied } = await telemetry.ingest(riderId, pingInputOf(body));
  return { rider_id: riderId, status: applied ? 'accepted' : 'ignored' };
}

/** What `POST /riders/locations` does with a validated body (see `ingestPing`). */
export async function ingestPings(
  telemetry: TelemetryService,
  body: z.infer<typeof PingBatchSchema>,
): Promise<z.infer<typeof PingBatchAcceptedSchema>> {
  const result = await telemetry.ingestMany(body.pings.map(riderPingOf));
  return {
    accepted: result.accepted,
    ignored: result.ignored,
    unknown_rider: result.unknownRider,
    results: result.results,
  };
}
