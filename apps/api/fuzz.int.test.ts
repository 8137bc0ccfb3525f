import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { casesPerOperation, formatSummary, fuzzOperation, type OperationResult } from './fuzz/fuzz-run.ts';
import { type FuzzSeed, seedFuzzData } from './fuzz/fuzz-seed.ts';
import { loadOpenApiDocument, operationsOf } from './fuzz/openapi-operations.ts';
import { RequestChecker } from './fuzz/request-check.ts';
import { ResponseChecker } from './fuzz/response-check.ts';
import { type ApiHarness, createApiHarness, type HarnessBackend, HARNESS_BACKENDS } from './testing/api-harness.ts';

/**
 * Property-based fuzzing of every operation of the committed api/openapi.yaml, on both harness backends, against
 * seeded stores, riders, orders and batches (apps/api/fuzz/). Each case is a valid or broken request (types, missing
 * and extra fields, huge numbers, NaN, NUL and lone surrogates, deep JSON, bad UUIDs, wrong content types, empty and
 * oversized bodies, odd query strings and path parameters) from one of the identities of fuzz-identities.ts; no answer
 * may be a 5xx, undocumented for the operation, or off its documented schema. Sized for CI (a few thousand cases in
 * well under a minute); `npm run fuzz -- --cases 100000` runs the same properties longer.
 */
const TOTAL_CASES: Record<HarnessBackend, number> = { real: 2_000, embedded: 1_000 };

const document = loadOpenApiDocument();
const checker = new ResponseChecker(document);
const requests = new RequestChecker(document);
const operations = operationsOf(document);

describe.each(HARNESS_BACKENDS)('fuzzing every operation of api/openapi.yaml on the %s stores', (backend) => {
  const numRuns = casesPerOperation(TOTAL_CASES[backend], operations.length);
  const results: OperationResult[] = [];
  let h: ApiHarness;
  let seed: FuzzSeed;

  beforeAll(async () => {
    h = await createApiHarness('api_fuzz', backend);
    seed = await seedFuzzData(h);
  });
  afterAll(async () => {
    if (results.length > 0)
      console.log(`fuzz summary (${backend}, ${numRuns} runs per operation)\n${formatSummary(results)}`);
    await h?.close();
  });

  it('drives every operation the document lists', () => {
    expect(operations.length).toBeGreaterThanOrEqual(27);
    expect(new Set(operations.map((o) => o.key)).size).toBe(operations.length);
  });

  it.each(operations.map((o) => [o.key, o] as const))('%s: no 5xx, only documented answers', async (_, operation) => {
    const result = await fuzzOperation(h, document, checker, requests, operation, seed, { numRuns });
    results.push(result);
    expect(result.failure, result.failure).toBeUndefined();
    expect(result.summary.cases).toBe(numRuns);
  });
});
