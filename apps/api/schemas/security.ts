import { errorResponse } from './common.ts';

/**
 * The OpenAPI side of authentication: one http-bearer scheme per credential kind (all are `Authorization: Bearer`;
 * the schemes tell a reader which token an operation takes), and per-operation requirement lists. Scopes themselves
 * are decided by internal/auth/policy.ts; these lists document them.
 */
export const SECURITY_SCHEMES = {
  operatorKey: {
    type: 'http' as const,
    scheme: 'bearer',
    bearerFormat: 'dgo_op_…',
    description:
      'Operator API key (`dgo_op_…`): every operation. Created with `npm run keys -- create --label NAME`, or the `OPERATOR_KEY` the API registers at start; `npm start` prints a demo key.',
  },
  storeKey: {
    type: 'http' as const,
    scheme: 'bearer',
    bearerFormat: 'dgo_st_…',
    description:
      "Store key (`dgo_st_…`), returned once as `api_key` by `POST /stores` (or `npm run keys -- create --store ID`): that store's orders, kitchen steps and batches only.",
  },
  riderToken: {
    type: 'http' as const,
    scheme: 'bearer',
    bearerFormat: 'dgo_rd_…',
    description:
      'Rider token (`dgo_rd_…`), returned as `token` by `POST /riders` or `POST /riders/{id}/token`: its own rider, GPS, and the batches assigned to it.',
  },
  orderToken: {
    type: 'http' as const,
    scheme: 'bearer',
    bearerFormat: 'dgo_or_…',
    description:
      'Order read token (`dgo_or_…`), returned as `read_token` by `POST /orders`: `GET /orders/{id}` of that order and the WebSocket channel `order:{id}`.',
  },
} as const;

type SchemeName = keyof typeof SECURITY_SCHEMES;
const any = (...names: SchemeName[]) => names.map((name) => ({ [name]: [] as string[] }));

/** Who may call an operation, as OpenAPI `security` (any one of the listed schemes). */
export const SECURITY = {
  /** No token needed. */
  public: [] as Array<Record<string, string[]>>,
  operator: any('operatorKey'),
  operatorOrStore: any('operatorKey', 'storeKey'),
  operatorOrRider: any('operatorKey', 'riderToken'),
  operatorStoreOrRider: any('operatorKey', 'storeKey', 'riderToken'),
  operatorStoreOrOrder: any('operatorKey', 'storeKey', 'orderToken'),
};

/** The 401 of every authenticated operation. */
export const unauthorizedResponse = {
  ...errorResponse(
    'No bearer token (`auth.missing_token`), or one that is malformed, unknown or revoked (`auth.invalid_token`).',
  ),
  headers: {
    'WWW-Authenticate': {
      description: '`Bearer realm="deliverygo"` (with `error="invalid_token"` for a bad token).',
      schema: { type: 'string' as const },
    },
  },
};

/** The 403 of an operation whose token may be out of scope (`auth.forbidden`); `more` adds other 403 codes. */
export const forbiddenResponse = (more?: string) =>
  errorResponse(`The token's scope does not cover this (\`auth.forbidden\`).${more ? ` ${more}` : ''}`);
