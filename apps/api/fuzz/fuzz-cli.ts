/**
 * `npm run fuzz -- [--cases N] [--backend real|embedded|both] [--seed S] [--only TEXT]`: the fuzz properties of
 * apps/api/fuzz.int.test.ts with another case count (default 100 000 spread over the operations), for long runs.
 * Needs the test Postgres and Redis (`npm run infra:up`) for the `real` backend. Prints, per backend, the cases per
 * operation and the statuses seen, then every failure with its replay seed; exits 1 if any operation failed.
 */
import { parseArgs } from 'node:util';
import { createApiHarness, type HarnessBackend, HARNESS_BACKENDS } from '../testing/api-harness.ts';
import { casesPerOperation, formatSummary, fuzzOperation, type OperationResult } from './fuzz-run.ts';
import { seedFuzzData } from './fuzz-seed.ts';
import { loadOpenApiDocument, operationsOf } from './openapi-operations.ts';
import { RequestChecker } from './request-check.ts';
import { ResponseChecker } from './response-check.ts';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '100000' },
    backend: { type: 'string', default: 'real' },
    seed: { type: 'string' },
    only: { type: 'string' },
  },
});
const total = Number(values.cases);
if (!Number.isInteger(total) || total < 1) throw new Error(`--cases must be a positive integer, got ${values.cases}`);
const backends: HarnessBackend[] =
  values.backend === 'both' ? [...HARNESS_BACKENDS] : [values.backend as HarnessBackend];
if (!backends.every((b) => HARNESS_BACKENDS.includes(b))) throw new Error(`--backend: real, embedded or both`);

const document = loadOpenApiDocument();
const checker = new ResponseChecker(document);
const requests = new RequestChecker(document);
const operations = operationsOf(document).filter((op) => !values.only || op.key.includes(values.only));
const numRuns = casesPerOperation(total, operations.length);
let failed = false;

for (const backend of backends) {
  const started = performance.now();
  const h = await createApiHarness('api_fuzz_cli', backend);
  try {
    const seed = await seedFuzzData(h);
    const results: OperationResult[] = [];
    for (const operation of operations) {
      const result = await fuzzOperation(h.app, document, checker, requests, operation, seed, {
        numRuns,
        ...(values.seed !== undefined ? { seed: Number(values.seed) } : {}),
      });
      results.push(result);
      process.stderr.write(
        `${backend}: ${operation.key} ${result.summary.cases} cases${result.failure ? ` FAILED\n  ${result.failure}` : ''}\n`,
      );
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    process.stdout.write(
      `\n== ${backend} backend: ${numRuns} runs per operation, ${seconds} s\n${formatSummary(results)}\n`,
    );
    for (const r of results.filter((x) => x.failure)) {
      failed = true;
      process.stdout.write(`\n-- ${r.operation}\n  ${r.failure}\n`);
    }
  } finally {
    await h.close();
  }
}
process.exit(failed ? 1 : 0);
