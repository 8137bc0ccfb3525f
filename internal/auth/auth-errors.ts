import { AppError, forbidden } from '../platform/errors.ts';
import { describePrincipal, type Principal } from './principal.ts';

/** The slugs of authentication and authorization failures (401 and 403 at the API, with `WWW-Authenticate` on 401). */
export const AUTH_ERROR_CODES = {
  /** No `Authorization: Bearer …` (or `?token=` on the WebSocket upgrade). */
  missingToken: 'auth.missing_token',
  /** A token that is malformed, unknown or revoked. */
  invalidToken: 'auth.invalid_token',
  /** A valid token outside its scope. */
  forbidden: 'auth.forbidden',
} as const;

/** 401: no token. */
export const missingToken = (): AppError =>
  new AppError('unauthorized', AUTH_ERROR_CODES.missingToken, 'send Authorization: Bearer <token>');

/** 401: a token that grants nothing. */
export const invalidToken = (): AppError =>
  new AppError('unauthorized', AUTH_ERROR_CODES.invalidToken, 'the bearer token is malformed, unknown or revoked');

/** 403: `principal` may not do `what`. */
export const outOfScope = (principal: Principal, what: string): AppError =>
  forbidden(AUTH_ERROR_CODES.forbidden, `${describePrincipal(principal)} may not ${what}`);
