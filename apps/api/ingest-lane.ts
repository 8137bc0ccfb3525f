import type { IncomingMessage, RequestListener } from 'node:http';
import type { Registry } from 'prom-client';
import type { ZodType } from 'zod';
import { invalidToken, missingToken, outOfScope } from '../../internal/auth/auth-errors.ts';
import { isOperator, mayActAsRider } from '../../internal/auth/policy.ts';
import type { Principal } from '../../internal/auth/principal.ts';
import type { PrincipalResolver } from '../../internal/auth/principal-resolver.ts';
import { bearerTokenOf } from '../../internal/auth/token.ts';
import type { Logger } from '../../internal/platform/logger.ts';
import type { TelemetryService } from '../../internal/telemetry/telemetry-service.ts';
import {
  errorAnswer,
  errorBody,
  MAX_REQUEST_BODY_BYTES,
  payloadTooLargeBody,
  REQUEST_ERROR_CODES,
  validationErrorBody,
  type ErrorBody,
} from './error-handler.ts';
import { httpRequestDuration } from './http-metrics.ts';
import { originOfIncoming, rateLimitedAnswer, rateLimitHeaders, type RequestLimits } from './rate-limit.ts';
import { ingestPing, ingestPings } from './routes/rider-location-ingest.ts';
import { PingBatchSchema, PingSchema } from './routes/rider-location-schemas.ts';
import { IdParamSchema } from './schemas/common.ts';
import {
  findUnstorableText,
  invalidTextBody,
  jsonNestsDeeperThan,
  MAX_JSON_DEPTH,
  tooDeepBody,
} from './storable-text.ts';

/** Same rule as Hono's JSON validator: `application/json` or `application/*+json`, with parameters. */
const JSON_CONTENT_TYPE = /^application\/([a-z-.]+\+)?json(\s*;.*)?$/i;
const SINGLE_PING_PATH = /^\/riders\/([^/]+)\/location$/;

export interface IngestLaneDeps {
  telemetry: TelemetryService;
  logger: Logger;
  metrics: Registry;
  /**
   * The API's cached token resolver (the routes' own): a ping's rider token is looked up once per TTL, not per ping.
   * The lane authenticates and authorizes exactly as the Hono routes do (authenticate.ts, policy.ts).
   */
  auth: PrincipalResolver;
  /**
   * The request limits of the Hono routes (rate-limit.ts), applied here to `POST /riders/locations`: one bulk post is
   * one request of its caller. A single ping is limited per rider instead, inside the geo store's ping step (no extra
   * round trip; `request.rate_limited` with `details.limit = gps`).
   */
  requestLimits?: RequestLimits;
}

type Answer = { status: number; body: unknown; headers?: Record<string, string> };

/** A request the lane serves: its route pattern (the metrics label) and, for a single ping, the raw `{id}`. */
type Lane = { pattern: '/riders/locations'; rawId?: undefined } | { pattern: '/riders/:id/location'; rawId: string };

/** Which lane route `req` is, or undefined when Hono should serve it. */
function laneOf(req: IncomingMessage): Lane | undefined {
  if (req.method !== 'POST' || !JSON_CONTENT_TYPE.test(req.headers['content-type'] ?? '')) return undefined;
  const url = req.url ?? '';
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  if (path === '/riders/locations') return { pattern: '/riders/locations' };
  const single = SINGLE_PING_PATH.exec(path);
  return single ? { pattern: '/riders/:id/location', rawId: single[1]! } : undefined;
}

/**
 * The GPS ingest lane: `POST /riders/{id}/location` and `POST /riders/locations` served straight from node:http,
 * ahead of Hono. Every rider pings every few seconds, so these two routes are nearly all of the API's requests, and
 * Hono's web-standard Request, body stream and Response cost more CPU than the ping's own work
 * (bench/results/telemetry.md). The lane runs the same zod schemas, the same service call (rider-location-ingest.ts),
 * the same error bodies (error-handler.ts) and the same request metrics as the documented Hono routes; any request it
 * does not recognise — another path or method, a body that is not JSON — goes on to `next` (Hono) unchanged.
 */
export function withIngestLane(deps: IngestLaneDeps, next: RequestListener): RequestListener {
  const duration = httpRequestDuration(deps.metrics);

  /** The validated request's answer (the service's errors are thrown, answered by the caller). */
  const answer = async (lane: Lane, json: unknown, principal: Principal): Promise<Answer> => {
    if (lane.rawId === undefined) {
      const body = validated(PingBatchSchema, json, 'json');
      if ('error' in body) return { status: 400, body };
      if (!isOperator(principal)) throw outOfScope(principal, 'post pings of many riders');
      return { status: 202, body: await ingestPings(deps.telemetry, body.value) };
    }
    const param = validated(IdParamSchema, { id: decodedSegment(lane.rawId) }, 'param');
    if ('error' in param) return { status: 400, body: param };
    const body = validated(PingSchema, json, 'json');
    if ('error' in body) return { status: 400, body };
    const riderId = param.value.id;
    if (!mayActAsRider(principal, riderId)) throw outOfScope(principal, `post the position of rider ${riderId}`);
    return { status: 202, body: await ingestPing(deps.telemetry, riderId, body.value) };
  };

  /** The caller, as the Hono middleware resolves it; a 401 is thrown (answered by errorAnswer with its challenge). */
  const principalOf = async (header: string | undefined): Promise<Principal> => {
    const token = bearerTokenOf(header);
    if (token === undefined) throw missingToken();
    const principal = token === null ? null : await deps.auth.resolve(token);
    if (!principal) throw invalidToken();
    return principal;
  };

  return (req, res) => {
    const matched = laneOf(req);
    if (!matched) {
      next(req, res);
      return;
    }
    const end = duration.startTimer();
    /** The `RateLimit-*` headers every answer carries once the request was counted. */
    let counted: Record<string, string> | undefined;
    const send = ({ status, body, headers }: Answer, close = false): void => {
      const json = JSON.stringify(body);
      res.writeHead(status, {
        ...counted,
        ...headers,
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(json),
        ...(close ? { connection: 'close' } : {}),
      });
      res.end(json);
      end({ method: 'POST', route: matched.pattern, status: String(status) });
    };
    // Both resolved while the body arrives (a cache hit costs nothing), and judged in the Hono middleware's order: the
    // caller's rate first, then its token.
    const limited = matched.rawId === undefined && deps.requestLimits?.check(originOfIncoming(req));
    const caller = principalOf(req.headers.authorization).then(
      (principal) => ({ principal }),
      (error: unknown) => ({ error }),
    );
    readBody(req).then(
      async (raw) => {
        const decision = limited ? await limited : undefined;
        if (decision && !decision.allowed) {
          const { body, headers } = rateLimitedAnswer(decision);
          send({ status: 429, body, headers });
          return;
        }
        if (decision) counted = rateLimitHeaders(decision);
        const who = await caller;
        if ('error' in who) {
          send(errorAnswer(who.error, deps.logger, { method: 'POST', path: req.url ?? '' }));
          return;
        }
        if (raw === undefined) {
          send({ status: 413, body: payloadTooLargeBody() }, true);
          return;
        }
        if (jsonNestsDeeperThan(raw, MAX_JSON_DEPTH)) {
          send({ status: 400, body: tooDeepBody() });
          return;
        }
        let json: unknown;
        try {
          json = JSON.parse(raw);
        } catch {
          send({ status: 400, body: errorBody(REQUEST_ERROR_CODES.malformedBody, 'Malformed JSON in request body') });
          return;
        }
        const unstorable = findUnstorableText(json);
        if (unstorable !== undefined) {
          send({ status: 400, body: invalidTextBody(unstorable, 'json') });
          return;
        }
        try {
          send(await answer(matched, json, who.principal));
        } catch (error) {
          send(errorAnswer(error, deps.logger, { method: 'POST', path: req.url ?? '' }));
        }
      },
      () => res.destroy(), // the client went away mid-body: nobody to answer
    );
  };
}

/** A path segment percent-decoded, or as it is when it is not valid percent-encoding (as Hono does). */
function decodedSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The body as text, or undefined when it exceeds MAX_REQUEST_BODY_BYTES (the rest is discarded, not buffered). */
function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BODY_BYTES) tooLarge = true;
      if (!tooLarge) chunks.push(chunk);
    });
    req.on('end', () =>
      resolve(
        tooLarge
          ? undefined
          : chunks.length === 1
            ? chunks[0]!.toString('utf8')
            : Buffer.concat(chunks, size).toString('utf8'),
      ),
    );
    req.on('error', reject);
  });
}

/** zod's verdict in the lane's terms: the parsed value, or the 400 body naming the field. */
function validated<T>(schema: ZodType<T>, input: unknown, target: string): { value: T } | ErrorBody {
  const result = schema.safeParse(input);
  return result.success ? { value: result.data } : validationErrorBody(target, result.error);
}
