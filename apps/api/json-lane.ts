import type { IncomingMessage, RequestListener } from 'node:http';
import type { Registry } from 'prom-client';
import type { ZodType } from 'zod';
import { invalidToken, missingToken } from '../../internal/auth/auth-errors.ts';
import type { Principal } from '../../internal/auth/principal.ts';
import type { PrincipalResolver } from '../../internal/auth/principal-resolver.ts';
import { bearerTokenOf } from '../../internal/auth/token.ts';
import type { Logger } from '../../internal/platform/logger.ts';
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
import {
  findUnstorableText,
  invalidTextBody,
  jsonNestsDeeperThan,
  MAX_JSON_DEPTH,
  tooDeepBody,
} from './storable-text.ts';

/**
 * A JSON lane: a POST route served straight from node:http, ahead of Hono, for the API's hottest routes (GPS pings,
 * ingest-lane.ts; order placement, order-lane.ts). Hono's web-standard Request, body stream, context and Response cost
 * more CPU than these routes' own work (bench/results/telemetry.md, bench/results/dispatch.md). Everything a lane route
 * shares with the documented Hono route lives here, in the Hono middlewares' order: the request limit (rate-limit.ts),
 * authentication (authenticate.ts), the body limit, the JSON depth and storable-text checks (storable-text.ts), the
 * same error bodies, statuses and headers (error-handler.ts: every thrown error goes through `errorAnswer`, here as in
 * Hono's `onError`) and the same request metric (http-metrics.ts). A route brings its matcher and its answer only.
 */

/** Same rule as Hono's JSON validator: `application/json` or `application/*+json`, with parameters. */
const JSON_CONTENT_TYPE = /^application\/([a-z-.]+\+)?json(\s*;.*)?$/i;

/** A lane's answer: status, JSON body, headers of its own (the `RateLimit-*` ones are added by the lane). */
export interface LaneAnswer {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** The request body as the lane read it: the parsed JSON, or `malformed` when it is not JSON (Hono's validator's 400). */
export type LaneBody = { json: unknown } | { malformed: true };

/** What a route's matcher answers for a request it serves. */
export interface LaneMatch<M> {
  /** The route pattern: the metrics label, as Hono's `routePath`. */
  pattern: string;
  /** Whether the request counts against its caller's request limit (as every Hono route does). */
  limited: boolean;
  /** Whatever the route needs from the URL (a path parameter). */
  match: M;
}

export interface JsonLaneRoute<M> {
  /** Whether this lane serves the POST to `path` (the query string absent): its match, or undefined for Hono. */
  matchPath(path: string): LaneMatch<M> | undefined;
  /**
   * The answer to an authenticated request whose body passed the lane's checks (size, depth, storable text). The
   * route validates (with `validated`/`validatedJson`, in the Hono route's validator order) and calls its service;
   * what it throws is answered by `errorAnswer`.
   */
  answer(request: { req: IncomingMessage; match: M; body: LaneBody; principal: Principal }): Promise<LaneAnswer>;
}

export interface JsonLaneDeps {
  logger: Logger;
  metrics: Registry;
  /** The API's cached token resolver (the routes' own): the lane authenticates exactly as authenticate.ts does. */
  auth: PrincipalResolver;
  /** The request limits of the Hono routes (rate-limit.ts), applied to the lane routes that are `limited`. */
  requestLimits?: RequestLimits | undefined;
}

/**
 * Serves the POSTs `route` matches with a JSON content type and no query string; any other request — another path or
 * method, a body that is not JSON (Hono answers 415), a query string — goes on to `next` unchanged.
 */
export function withJsonLane<M>(deps: JsonLaneDeps, route: JsonLaneRoute<M>, next: RequestListener): RequestListener {
  const duration = httpRequestDuration(deps.metrics);

  /** The caller, as the Hono middleware resolves it; a 401 is thrown (answered by errorAnswer with its challenge). */
  const principalOf = async (header: string | undefined): Promise<Principal> => {
    const token = bearerTokenOf(header);
    if (token === undefined) throw missingToken();
    const principal = token === null ? null : await deps.auth.resolve(token);
    if (!principal) throw invalidToken();
    return principal;
  };

  return (req, res) => {
    const url = req.url ?? '';
    const matched =
      req.method === 'POST' && !url.includes('?') && JSON_CONTENT_TYPE.test(req.headers['content-type'] ?? '')
        ? route.matchPath(url)
        : undefined;
    if (!matched) {
      next(req, res);
      return;
    }
    const end = duration.startTimer();
    /** The `RateLimit-*` headers every answer carries once the request was counted. */
    let counted: Record<string, string> | undefined;
    const send = ({ status, body, headers }: LaneAnswer, close = false): void => {
      const json = JSON.stringify(body);
      // A flat [name, value, …] list rather than a merged object: no copy of either header set per answer.
      const head: string[] = [];
      for (const name in headers) if (!(counted && name in counted)) head.push(name, headers[name]!);
      for (const name in counted) head.push(name, counted[name]!);
      head.push('content-type', 'application/json', 'content-length', String(Buffer.byteLength(json)));
      if (close) head.push('connection', 'close');
      res.writeHead(status, head);
      res.end(json);
      end({ method: 'POST', route: matched.pattern, status: String(status) });
    };
    const failed = (error: unknown): void => send(errorAnswer(error, deps.logger, { method: 'POST', path: url })); // a lane URL has no query string
    // Both resolved while the body arrives (a cache hit costs nothing), and judged in the Hono middlewares' order: the
    // caller's rate first, then its token.
    const limited = matched.limited ? deps.requestLimits?.check(originOfIncoming(req)) : undefined;
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
          failed(who.error);
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
        let body: LaneBody;
        try {
          body = { json: JSON.parse(raw) };
        } catch {
          body = { malformed: true }; // answered by the route's body validation, after its other validators
        }
        const unstorable = 'json' in body ? findUnstorableText(body.json) : undefined;
        if (unstorable !== undefined) {
          send({ status: 400, body: invalidTextBody(unstorable, 'json') });
          return;
        }
        try {
          send(await route.answer({ req, match: matched.match, body, principal: who.principal }));
        } catch (error) {
          failed(error);
        }
      },
      () => res.destroy(), // the client went away mid-body: nobody to answer
    );
  };
}

/**
 * The body as text (a leading byte-order mark dropped, as a web Request's `text()` drops it), or undefined when it
 * exceeds MAX_REQUEST_BODY_BYTES (the rest is discarded, not buffered).
 */
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
    req.on('end', () => {
      if (tooLarge) return resolve(undefined);
      const text = chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
      resolve(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
    });
    req.on('error', reject);
  });
}

/** The answer of a request that failed one of its validators. */
export type Invalid = { invalid: LaneAnswer };

/** zod's verdict in the lane's terms (the route's validator hook): the parsed value, or the 400 naming the field. */
export function validated<T>(schema: ZodType<T>, input: unknown, target: string): { value: T } | Invalid {
  const result = schema.safeParse(input);
  return result.success
    ? { value: result.data }
    : { invalid: { status: 400, body: validationErrorBody(target, result.error) } };
}

/** The JSON body validated by `schema`; a malformed body is the 400 of Hono's JSON validator. */
export function validatedJson<T>(schema: ZodType<T>, body: LaneBody): { value: T } | Invalid {
  return 'json' in body ? validated(schema, body.json, 'json') : { invalid: { status: 400, body: malformedBody() } };
}

/** Hono's JSON validator's refusal of a body that is not JSON, as error-handler.ts maps it. */
const malformedBody = (): ErrorBody => errorBody(REQUEST_ERROR_CODES.malformedBody, 'Malformed JSON in request body');
