/**
 * One factor for every wall-clock budget in the tests (deadlines for a browser to render, `npm start` to print its
 * banner, a stack to settle): `TEST_TIME_SCALE`, default 1, and 3 when CI=true, where the tests share two cores with
 * Kafka, Postgres and each other. Budgets are upper bounds that a healthy run stays far below: the tests wait on
 * conditions, so a larger factor only makes a failing run take longer to report, never a passing one slower.
 */
export function testTimeScale(): number {
  // Test-only setting: tests/support may read the environment.
  const raw = process.env.TEST_TIME_SCALE;
  if (raw !== undefined && raw !== '') {
    const factor = Number(raw);
    if (!Number.isFinite(factor) || factor <= 0)
      throw new RangeError(`TEST_TIME_SCALE must be a positive number, got ${raw}`);
    return factor;
  }
  return process.env.CI === 'true' ? 3 : 1;
}

/** `ms` scaled by `testTimeScale()`. */
export const scaledMs = (ms: number): number => Math.round(ms * testTimeScale());
