import type { Context, MiddlewareHandler } from 'hono';
import { invalidToken, missingToken, outOfScope } from '../../internal/auth/auth-errors.ts';
import { courierOf, isOperator } from '../../internal/auth/policy.ts';
import { invalidInput } from '../../internal/platform/errors.ts';
import { OPERATOR, type Principal } from '../../internal/auth/principal.ts';
import type { PrincipalResolver } from '../../internal/auth/principal-resolver.ts';
import { bearerTokenOf } from '../../internal/auth/token.ts';

declare module 'hono' {
  interface ContextVariableMap {
    /** Who is calling, set by `authenticate` on every non-public route. */
    principal: Principal;
  }
}

/**
 * Paths anyone may fetch: health, metrics, the API's description and docs, the site root and the operator pages' files
 * (the map, the dashboard: their data needs an operator key).
 */
const PUBLIC_EXACT = new Set([
  '/',
  '/health',
  '/metrics',
  '/openapi.json',
  '/docs',
  '/map',
  '/map/roads.geojson',
  '/dashboard',
]);
const PUBLIC_PREFIXES = ['/docs/', '/map/assets/', '/dashboard/assets/', '/favicon'];

/** Whether `path` is served without a token (everything else needs one; `/map/state` does). */
export function isPublicPath(path: string): boolean {
  return PUBLIC_EXACT.has(path) || PUBLIC_PREFIXES.some((prefix) => path.startsWith(prefix));
}

/**
 * Resolves `Authorization: Bearer <token>` to a principal before any route runs (public paths excepted): none is 401
 * `auth.missing_token`, one that grants nothing 401 `auth.invalid_token`, both with `WWW-Authenticate: Bearer`
 * (error-handler.ts). The routes then authorize with `principalOf` and internal/auth/policy.ts.
 */
export function authenticate(resolver: PrincipalResolver): MiddlewareHandler {
  return async (c, next) => {
    if (isPublicPath(c.req.path)) return next();
    const token = bearerTokenOf(c.req.header('authorization'));
    if (token === undefined) throw missingToken();
    const principal = token === null ? null : await resolver.resolve(token);
    if (!principal) throw invalidToken();
    c.set('principal', principal);
    return next();
  };
}

/**
 * The caller. An app built without a resolver (the OpenAPI generator, tests of the HTTP layer alone) authenticates
 * nobody and treats every caller as an operator; the composed API always has one (compose.ts).
 */
export function principalOf(c: Context): Principal {
  return c.get('principal') ?? OPERATOR;
}

/** Throws 403 `auth.forbidden` unless `allowed`; `what` completes "… may not <what>". */
export function authorize(c: Context, allowed: boolean, what: string): void {
  if (!allowed) throw outOfScope(principalOf(c), what);
}

/**
 * The rider a pickup or drop confirmation acts as (policy `courierOf`): a rider token's own (a body `rider_id` naming
 * another is 403 `auth.forbidden`); an operator's body `rider_id`, which it must send (400 naming `rider_id`).
 */
export function courierFor(c: Context, bodyRiderId: string | undefined): string {
  const courier = courierOf(principalOf(c), bodyRiderId);
  if ('riderId' in courier) return courier.riderId;
  if (courier.refused === 'rider_id_required')
    throw invalidInput('request.invalid_input', 'rider_id: an operator must name the rider', { field: 'rider_id' });
  throw outOfScope(
    principalOf(c),
    bodyRiderId === undefined ? 'pick up or deliver batches' : `act as rider ${bodyRiderId}`,
  );
}

/** Operator-only routes: 403 `auth.forbidden` for any other principal. */
export function requireOperator(c: Context, what: string): void {
  authorize(c, isOperator(principalOf(c)), what);
}
