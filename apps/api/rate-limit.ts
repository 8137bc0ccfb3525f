import type { IncomingMessage } from 'node:http';
import type { MiddlewareHandler } from 'hono';
import { LRUCache } from 'lru-cache';
import { hashToken } from '../../internal/auth/token.ts';
import type { Config } from '../../internal/config/config.ts';
import { retryAfterSeconds } from '../../internal/platform/errors.ts';
import type { Logger } from '../../internal/platform/logger.ts';
import type { RateDecision, RateLimiter, RatePolicy } from '../../internal/ratelimit/rate-limiter.ts';
import { errorBody, REQUEST_ERROR_CODES, type ErrorBody } from './error-handler.ts';

/**
 * Request rate limits, per caller:
 * - a request with an `Authorization` header is counted against its credential: the SHA-256 of the bearer token (the
 *   auth middleware resolves who it is separately; a stable key is all a bucket needs). Operator tokens (`dgo_op_…`)
 *   get the `operator` limit, every other token the `key` limit;
 * - a request without one is counted against its client IP (the `ip` limit): the socket's address, or the first
 *   `X-Forwarded-For` entry when `trustProxy` is set. Loopback clients are exempt when `exemptLoopback` is set (the
 *   default): local benchmarks, the simulator and the `npm start` demo are never limited, and a proxy on the same host
 *   must then set `trustProxy` so that clients are told apart at all.
 *
 * `/health` and `/metrics` are never limited (monitoring must not see a 429). Over the limit: 429
 * `request.rate_limited` with `Retry-After` (whole seconds). Every limited response, 2xx or not, carries the three
 * headers of draft-ietf-httpapi-ratelimit-headers-07: `RateLimit-Limit` (the bucket size), `RateLimit-Remaining` and
 * `RateLimit-Reset` (seconds until the bucket is full again) — the separate-field form, which the common client
 * libraries read, rather than the later drafts' combined `RateLimit`/`RateLimit-Policy` structured fields.
 *
 * When the limiter fails or takes longer than `LIMITER_TIMEOUT_MS` (Redis away), requests are let through (fail open)
 * with a warning at most every 10 s: a limit protects the API; it must not be the reason every route is down or slow.
 */

/** Longest a request waits for its limit decision before it goes on unlimited (Redis answers in well under 1 ms). */
export const LIMITER_TIMEOUT_MS = 250;

/** The limits in force, as `Config.rateLimit` holds them. */
export type RequestLimitSettings = Pick<
  Config['rateLimit'],
  'enabled' | 'operator' | 'key' | 'ip' | 'exemptLoopback' | 'trustProxy'
>;

/** Where a request comes from, as far as the limits care. */
export interface RequestOrigin {
  /** The `Authorization` header, when sent. */
  authorization?: string | null;
  /** The TCP peer's address. */
  remoteAddress?: string | null;
  /** The `X-Forwarded-For` header, when sent. */
  forwardedFor?: string | null;
}

/** Which bucket a request is counted in. */
export interface RateSubject {
  policy: RatePolicy;
  key: string;
}

/** The request limits of one API process: its limiter and settings. */
export interface RequestLimits {
  /** The subject a request is counted as, or undefined when it is exempt (limits off, loopback). */
  subjectOf(origin: RequestOrigin): RateSubject | undefined;
  /** Counts the request; undefined when exempt or when the limiter failed (fail open). */
  check(origin: RequestOrigin): Promise<(RateDecision & { policy: RatePolicy }) | undefined>;
}

const OPERATOR_TOKEN_PREFIX = 'dgo_op_';
const WARN_EVERY_MS = 10_000;
const CREDENTIAL_KEYS_KEPT = 10_000;
/** Paths a limit never applies to (monitoring). */
export const UNLIMITED_PATHS: ReadonlySet<string> = new Set(['/health', '/metrics']);

/** Builds the request limits over `limiter`. */
export function createRequestLimits(
  limiter: RateLimiter,
  settings: RequestLimitSettings,
  logger: Logger,
): RequestLimits {
  const policies = {
    operator: { name: 'operator', ...settings.operator },
    key: { name: 'key', ...settings.key },
    ip: { name: 'ip', ...settings.ip },
  } satisfies Record<string, RatePolicy>;
  let lastWarning = Number.NEGATIVE_INFINITY;
  // A caller sends the same token on every request: its bucket key is hashed once (the most recent callers kept).
  const credentialKeys = new LRUCache<string, string>({ max: CREDENTIAL_KEYS_KEPT });
  const credentialKey = (credential: string): string => {
    let key = credentialKeys.get(credential);
    if (key === undefined) {
      key = hashToken(credential);
      credentialKeys.set(credential, key);
    }
    return key;
  };

  const subjectOf = (origin: RequestOrigin): RateSubject | undefined => {
    if (!settings.enabled) return undefined;
    const credential = bearerCredential(origin.authorization);
    if (credential !== undefined) {
      return {
        policy: credential.startsWith(OPERATOR_TOKEN_PREFIX) ? policies.operator : policies.key,
        key: credentialKey(credential),
      };
    }
    const ip = clientIp(origin, settings.trustProxy);
    if (settings.exemptLoopback && isLoopback(ip)) return undefined;
    return { policy: policies.ip, key: ip };
  };

  return {
    subjectOf,
    async check(origin) {
      const subject = subjectOf(origin);
      if (!subject) return undefined;
      let timer: NodeJS.Timeout | undefined;
      try {
        const decision = await Promise.race([
          limiter.consume(subject.policy, subject.key),
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`no decision within ${LIMITER_TIMEOUT_MS} ms`)),
              LIMITER_TIMEOUT_MS,
            );
          }),
        ]);
        return { ...decision, policy: subject.policy };
      } catch (error) {
        const now = Date.now();
        if (now - lastWarning >= WARN_EVERY_MS) {
          lastWarning = now;
          logger.warn({ err: error, adapter: limiter.adapter }, 'rate limiter unavailable: requests pass unlimited');
        }
        return undefined;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** The credential of an `Authorization` header: the token of `Bearer <token>`, else the whole value; blank = none. */
function bearerCredential(header: string | null | undefined): string | undefined {
  const value = header?.trim();
  if (!value) return undefined;
  const bearer = /^bearer\s+(.+)$/i.exec(value);
  return bearer ? bearer[1]!.trim() : value;
}

/** The client's IP: the first `X-Forwarded-For` entry when the proxy is trusted, else the peer; IPv4-mapped unwrapped. */
export function clientIp(origin: RequestOrigin, trustProxy: boolean): string {
  const forwarded = trustProxy ? origin.forwardedFor?.split(',')[0]?.trim() : undefined;
  const ip = forwarded || origin.remoteAddress || 'unknown';
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice('::ffff:'.length) : ip;
}

/** 127.0.0.0/8 and ::1. */
export function isLoopback(ip: string): boolean {
  return ip === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(ip);
}

/** The draft-07 `RateLimit-*` headers of a decision. */
export function rateLimitHeaders(decision: RateDecision): Record<string, string> {
  return {
    'ratelimit-limit': String(decision.limit),
    'ratelimit-remaining': String(decision.remaining),
    'ratelimit-reset': String(Math.ceil(decision.resetMs / 1_000)),
  };
}

/** The 429 answer of a refused request: body, and headers with `Retry-After`. */
export function rateLimitedAnswer(decision: RateDecision & { policy: RatePolicy }): {
  body: ErrorBody;
  headers: Record<string, string>;
} {
  const retryAfter = retryAfterSeconds(decision.retryAfterMs);
  return {
    body: errorBody(
      REQUEST_ERROR_CODES.rateLimited,
      `rate limit exceeded (${decision.policy.name}: ${decision.policy.perSecond}/s, burst ${decision.policy.burst}); retry after ${retryAfter} s`,
      undefined,
      { limit: decision.policy.name, retry_after_s: retryAfter },
    ),
    headers: { ...rateLimitHeaders(decision), 'retry-after': String(retryAfter) },
  };
}

/** The origin of a node:http request (the ingest lane's). */
export function originOfIncoming(req: IncomingMessage): RequestOrigin {
  return {
    authorization: req.headers.authorization,
    remoteAddress: req.socket.remoteAddress,
    forwardedFor: headerValue(req.headers['x-forwarded-for']),
  };
}

const headerValue = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v.join(',') : v);

/** Hono's bindings under @hono/node-server: the node request, for the peer address. Absent under `app.request`. */
type NodeBindings = { incoming?: IncomingMessage } | undefined;

/**
 * The Hono middleware: counts every request but `/health` and `/metrics` and answers 429 over the limit; adds the
 * `RateLimit-*` headers to every counted response.
 */
export function rateLimit(limits: RequestLimits): MiddlewareHandler {
  return async (c, next) => {
    if (UNLIMITED_PATHS.has(c.req.path)) return next();
    const incoming = (c.env as NodeBindings)?.incoming;
    const decision = await limits.check({
      authorization: c.req.header('authorization'),
      remoteAddress: incoming?.socket?.remoteAddress,
      forwardedFor: c.req.header('x-forwarded-for'),
    });
    if (!decision) return next();
    if (!decision.allowed) {
      const { body, headers } = rateLimitedAnswer(decision);
      return c.json(body, 429, headers);
    }
    await next();
    for (const [name, value] of Object.entries(rateLimitHeaders(decision))) {
      try {
        c.res.headers.set(name, value);
      } catch {
        // an immutable response (none of ours today): it goes out without the informational headers
      }
    }
  };
}
