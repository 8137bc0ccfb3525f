import type { RequestListener } from 'node:http';
import { outOfScope } from '../../internal/auth/auth-errors.ts';
import { isOperator, mayActAsRider } from '../../internal/auth/policy.ts';
import type { TelemetryService } from '../../internal/telemetry/telemetry-service.ts';
import { validated, validatedJson, withJsonLane, type JsonLaneDeps, type JsonLaneRoute } from './json-lane.ts';
import { ingestPing, ingestPings } from './routes/rider-location-ingest.ts';
import { PingBatchSchema, PingSchema } from './routes/rider-location-schemas.ts';
import { IdParamSchema } from './schemas/common.ts';

const SINGLE_PING_PATH = /^\/riders\/([^/]+)\/location$/;

export interface IngestLaneDeps extends JsonLaneDeps {
  telemetry: TelemetryService;
  /*
   * `auth`: the API's cached token resolver (the routes' own): a ping's rider token is looked up once per TTL, not per
   * ping. `requestLimits`: applied to `POST /riders/locations` (one bulk post is one request of its caller). A single
   * ping is limited per rider instead, inside the geo store's ping step (no extra round trip; `request.rate_limited`
   * with `details.limit = gps`).
   */
}

/** For a single ping, the raw `{id}` of its path; undefined for a bulk post. */
type PingPath = { rawId?: string };

/** The two ingest routes: which one a path is (json-lane.ts). */
function ingestRoute(deps: IngestLaneDeps): JsonLaneRoute<PingPath> {
  return {
    matchPath(path) {
      if (path === '/riders/locations') return { pattern: '/riders/locations', limited: true, match: {} };
      const single = SINGLE_PING_PATH.exec(path);
      return single ? { pattern: '/riders/:id/location', limited: false, match: { rawId: single[1]! } } : undefined;
    },
    async answer({ match, body, principal }) {
      if (match.rawId === undefined) {
        const batch = validatedJson(PingBatchSchema, body);
        if ('invalid' in batch) return batch.invalid;
        if (!isOperator(principal)) throw outOfScope(principal, 'post pings of many riders');
        return { status: 202, body: await ingestPings(deps.telemetry, batch.value) };
      }
      // The route's validators' order: the path parameter, then the body.
      const param = validated(IdParamSchema, { id: decodedSegment(match.rawId) }, 'param');
      if ('invalid' in param) return param.invalid;
      const ping = validatedJson(PingSchema, body);
      if ('invalid' in ping) return ping.invalid;
      const riderId = param.value.id;
      if (!mayActAsRider(principal, riderId)) throw outOfScope(principal, `post the position of rider ${riderId}`);
      return { status: 202, body: await ingestPing(deps.telemetry, riderId, ping.value) };
    },
  };
}

/**
 * The GPS ingest lane: `POST /riders/{id}/location` and `POST /riders/locations` served straight from node:http,
 * ahead of Hono (json-lane.ts). Every rider pings every few seconds, so these two routes are nearly all of the API's
 * requests, and Hono's web-standard Request, body stream and Response cost more CPU than the ping's own work
 * (bench/results/telemetry.md). The lane runs the same zod schemas, the same service call (rider-location-ingest.ts),
 * the same error bodies (error-handler.ts) and the same request metrics as the documented Hono routes; any request it
 * does not recognise — another path or method, a body that is not JSON, a query string — goes on to `next` (Hono)
 * unchanged. Pings are never traced, in the lane or in Hono (http-tracing.ts).
 */
export function withIngestLane(deps: IngestLaneDeps, next: RequestListener): RequestListener {
  return withJsonLane(deps, ingestRoute(deps), next);
}

/** A path segment percent-decoded, or as it is when it is not valid percent-encoding (as Hono does). */
function decodedSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
