import fc from 'fast-check';
import { maxHeaderSize } from 'node:http';
import type { FuzzSeed } from './fuzz-seed.ts';
import { availableIdentities } from './fuzz-identities.ts';
import type { OpenApiDocument, Operation } from './openapi-operations.ts';
import { type FuzzRequest, requestArbitrary } from './request-arbitraries.ts';
import { RequestChecker } from './request-check.ts';
import { ResponseChecker } from './response-check.ts';

/** What the fuzzer sends requests to: the API app (`app.request`, or the harness's `request`, through the lanes). */
export interface FuzzTarget {
  request(url: string, init: RequestInit): Response | Promise<Response>;
}

/** Tally of one operation's cases. */
export interface OperationSummary {
  cases: number;
  /** Status → count. */
  statuses: Record<string, number>;
  /** Identity name → count. */
  identities: Record<string, number>;
}

/** The outcome of fuzzing one operation. */
export interface OperationResult {
  operation: string;
  summary: OperationSummary;
  /** Why the property failed, with the (shrunk) request, the answer and the seed to replay it; undefined when it held. */
  failure?: string;
}

/**
 * Whether node:http itself refuses this request's head (request line and headers over `http.maxHeaderSize`, 16 KiB):
 * it answers 431 before any route runs — a correct HTTP answer, not one of the document's. The fetch client adds a
 * few headers of its own (host, connection, content-length, user-agent, accept…), hence the margin; a 431 to a head
 * clearly under the limit is still a finding.
 */
export function headOverServerLimit(method: string, url: string, headers: Record<string, string>): boolean {
  const CLIENT_HEADERS_MARGIN = 512;
  let bytes = Buffer.byteLength(`${method} ${url} HTTP/1.1\r\n`);
  for (const [name, value] of Object.entries(headers)) bytes += Buffer.byteLength(`${name}: ${value}\r\n`);
  return bytes + CLIENT_HEADERS_MARGIN > maxHeaderSize;
}

/** A request bounded in time: a hang is a finding too. */
const REQUEST_TIMEOUT_MS = 15_000;

const preview = (text: string | undefined, max = 400): string =>
  text === undefined
    ? '(none)'
    : text.length > max
      ? `${JSON.stringify(text.slice(0, max))}… (${text.length} chars)`
      : JSON.stringify(text);

function describeRequest(req: FuzzRequest, identity: string, authorization: string | undefined): string {
  return [
    `${req.method} ${req.url.length > 600 ? `${req.url.slice(0, 600)}… (${req.url.length} chars)` : req.url}`,
    `identity: ${identity}${authorization ? ` (${preview(authorization, 60)})` : ''}`,
    `headers: ${JSON.stringify(req.headers)}`,
    `body (${req.bodyKind}): ${preview(req.body)}`,
  ].join('\n  ');
}

/**
 * Fuzzes one operation with `numRuns` generated cases. Each case: a request (valid or broken in its path, query,
 * headers or body) from one of the available identities; the answer must be < 500, documented for the operation, of
 * a documented media type and, for JSON, valid against the documented schema; and a request the document refuses
 * (request-check.ts) must not be answered 2xx. A request that throws out of the app,
 * hangs, or leaves an unhandled rejection behind fails too. A failure is shrunk to a small request.
 */
export async function fuzzOperation(
  target: FuzzTarget,
  document: OpenApiDocument,
  checker: ResponseChecker,
  requests: RequestChecker,
  operation: Operation,
  seed: FuzzSeed,
  options: { numRuns: number; seed?: number },
): Promise<OperationResult> {
  const summary: OperationSummary = { cases: 0, statuses: {}, identities: {} };
  const identities = availableIdentities(seed.tokens);
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUnhandled);
  try {
    const property = fc.asyncProperty(
      requestArbitrary(document, operation, seed.pools),
      fc.nat({ max: identities.length - 1 }),
      fc.nat(),
      async (req, identityIndex, pick) => {
        const identity = identities[identityIndex]!;
        const authorization = identity.authorization(seed.tokens, pick);
        const headers = { ...req.headers, ...(authorization !== undefined ? { authorization } : {}) };
        const what = () => describeRequest(req, identity.name, authorization);
        let timer: NodeJS.Timeout | undefined;
        let res: Response;
        let text: string;
        try {
          const answered = (async () => {
            const r = await target.request(req.url, {
              method: req.method,
              headers,
              ...(req.body !== undefined ? { body: req.body } : {}),
            });
            return { r, t: await r.text() };
          })();
          const timeout = new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)),
              REQUEST_TIMEOUT_MS,
            );
          });
          ({ r: res, t: text } = await Promise.race([answered, timeout]));
        } catch (error) {
          throw new Error(`the app threw instead of answering: ${String(error)}\n  ${what()}`);
        } finally {
          clearTimeout(timer);
        }
        summary.cases++;
        summary.statuses[res.status] = (summary.statuses[res.status] ?? 0) + 1;
        summary.identities[identity.name] = (summary.identities[identity.name] ?? 0) + 1;
        // Let a stray rejection from this request surface before judging it.
        await new Promise((resolve) => setImmediate(resolve));
        if (unhandled.length > 0)
          throw new Error(`unhandled rejection or exception: ${String(unhandled[0])}\n  ${what()}`);
        if (res.status === 431 && headOverServerLimit(req.method, req.url, headers)) return;
        const problems = checker.problems(operation, {
          status: res.status,
          contentType: res.headers.get('content-type') ?? '',
          text,
        });
        const refusal = res.status < 300 ? requests.refusal(operation, req) : undefined;
        if (refusal) problems.push(`answered ${res.status} to a request the document refuses (${refusal})`);
        if (problems.length > 0)
          throw new Error(
            `${operation.key} answered ${res.status}: ${problems.slice(0, 5).join('; ')}\n  ${what()}\n  answer: ${preview(text)}`,
          );
      },
    );
    const details = await fc.check(property, {
      numRuns: options.numRuns,
      ...(options.seed !== undefined ? { seed: options.seed } : {}),
    });
    const failure = details.failed
      ? `${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}\n  replay: seed ${details.seed}, path "${details.counterexamplePath}" (${details.numRuns} runs, ${details.numShrinks} shrinks)`
      : undefined;
    return { operation: operation.key, summary, ...(failure ? { failure } : {}) };
  } finally {
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUnhandled);
  }
}

/** Splits `total` cases over the operations (at least `min` each). */
export function casesPerOperation(total: number, operations: number, min = 10): number {
  return Math.max(min, Math.ceil(total / Math.max(operations, 1)));
}

/** The summary table: per operation, its cases and the statuses seen (and how often), then the totals. */
export function formatSummary(results: readonly OperationResult[]): string {
  const width = Math.max(...results.map((r) => r.operation.length), 9);
  const lines = results.map((r) => {
    const statuses = Object.entries(r.summary.statuses)
      .sort(([a], [b]) => Number(a) - Number(b))
      .map(([status, n]) => `${status}×${n}`)
      .join(' ');
    return `${r.operation.padEnd(width)}  ${String(r.summary.cases).padStart(7)}  ${statuses}${r.failure ? '  FAILED' : ''}`;
  });
  const total = results.reduce((n, r) => n + r.summary.cases, 0);
  const all: Record<string, number> = {};
  const identities: Record<string, number> = {};
  for (const r of results) {
    for (const [s, n] of Object.entries(r.summary.statuses)) all[s] = (all[s] ?? 0) + n;
    for (const [s, n] of Object.entries(r.summary.identities)) identities[s] = (identities[s] ?? 0) + n;
  }
  const fmt = (tally: Record<string, number>) =>
    Object.entries(tally)
      .map(([k, n]) => `${k}×${n}`)
      .join(' ');
  return [
    `${'operation'.padEnd(width)}  ${'cases'.padStart(7)}  statuses`,
    ...lines,
    `${'total'.padEnd(width)}  ${String(total).padStart(7)}  ${fmt(all)}`,
    `identities: ${fmt(identities)}`,
    `failed operations: ${results.filter((r) => r.failure).length} of ${results.length}`,
  ].join('\n');
}

export { RequestChecker, ResponseChecker };
