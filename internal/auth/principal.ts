/**
 * Who is calling: what a bearer token resolves to (token.ts; scopes in policy.ts).
 *
 * - `operator`: an operator key (`dgo_op_…`): everything.
 * - `store`: a store key (`dgo_st_…`): its store's orders, kitchen steps and batches.
 * - `rider`: a rider token (`dgo_rd_…`): its own rider, GPS and the batches assigned to it.
 * - `order`: an order read token (`dgo_or_…`): reading that one order and its live channel.
 */
export type Principal =
  | { kind: 'operator' }
  | { kind: 'store'; storeId: string }
  | { kind: 'rider'; riderId: string }
  | { kind: 'order'; orderId: string };

/** The operator principal (one value: operators are not told apart for authorization). */
export const OPERATOR: Principal = Object.freeze({ kind: 'operator' });

/** A short description for logs and error messages: `operator`, `store 0f8f…`, `rider …`, `order …`. */
export function describePrincipal(p: Principal): string {
  switch (p.kind) {
    case 'operator':
      return 'an operator key';
    case 'store':
      return `the key of store ${p.storeId}`;
    case 'rider':
      return `the token of rider ${p.riderId}`;
    case 'order':
      return `the read token of order ${p.orderId}`;
  }
}
