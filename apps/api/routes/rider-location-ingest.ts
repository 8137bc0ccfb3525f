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
function pingInputOf(body: PingBody): PingInput {
  return {
    lat: body.lat,
    lon: body.lon,
    recordedAt: Date.parse(body.recorded_at),
    ...(body.speed !== undefined ? { speed: body.speed } : {}),
    ...(body.heading !== undefined ? { heading: body.heading } : {}),
    ...(body.accuracy !== undefined ? { accuracy: body.accuracy } : {}),
  };
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
  const result = await telemetry.ingestMany(body.pings.map((p) => ({ riderId: p.rider_id, ...pingInputOf(p) })));
  return {
    accepted: result.accepted,
    ignored: result.ignored,
    unknown_rider: result.unknownRider,
    results: result.results,
  };
}
