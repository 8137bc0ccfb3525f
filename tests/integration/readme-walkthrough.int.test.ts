/**
 * Issue 15 item 1: the README is executable. The README's walk-through (orders and the kitchen, riders and delivery,
 * telemetry, WebSocket, figures) is parsed (tests/support/readme-walkthrough.ts) and run against a fresh instance
 * started with the README's own `npm start -- …` flags (the demo city composed in-process on its embedded adapters,
 * on a free port): every command runs in bash exactly as written — only `127.0.0.1:8000` becomes the instance's
 * address, and the ids the README names (`$ORDER`) are the ones earlier answers gave — and must answer the status and
 * fields written beside it. Steps marked (repeat) are re-run until they do, within a scaled budget; `# prints` lines
 * are awaited on the background command's output (the README's WebSocket one-liner).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeDemoCity, type DemoCity } from '../../apps/all/demo-city.ts';
import { loadConfig } from '../../internal/config/config.ts';
import { silentLogger } from '../../internal/platform/logger.ts';
import { matchPattern, parseWalkthrough, type WalkthroughStep } from '../support/readme-walkthrough.ts';
import { scaledMs } from '../support/time-scale.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
/** README.md, or the file README_UNDER_TEST names (to see the test fail on a drifted copy). */
const readmePath = process.env.README_UNDER_TEST ?? `${root}README.md`;
const walkthrough = parseWalkthrough(readFileSync(readmePath, 'utf8'));
/** How long a (repeat) step or a `prints` line may take: dispatch and the history writer answer within ~1 s when idle. */
const EVENTUALLY_MS = scaledMs(30_000);
const STATUS_MARK = '\n@@status ';

let city: DemoCity | undefined;
let address = '';
const vars = new Map<string, unknown>();
const background: { child: ChildProcess; lines: string[] }[] = [];

/** The bash script for one command: curl also prints the status, then the README's set-up, the ids so far, the command. */
function script(command: string): string {
  // The port, and the operator key this instance printed (the README's `KEY=dgo_op_…` line).
  const local = (text: string) =>
    text.replaceAll('127.0.0.1:8000', address).replaceAll('dgo_op_…', city?.operatorKey ?? 'dgo_op_…');
  const quote = (v: unknown) => `'${String(v).replaceAll("'", `'\\''`)}'`;
  return [
    'set -o pipefail',
    `curl() { command curl -w '${STATUS_MARK.replace('\n', '\\n')}%{http_code}' "$@"; }`,
    ...walkthrough.setup.map(local),
    ...[...vars].map(([name, value]) => `${name}=${quote(value)}`),
    local(command),
  ].join('\n');
}

function runCommand(command: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script(command)], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs a step once: null when it answered as the README says (binding its ids), else what differed. */
async function attempt(step: WalkthroughStep): Promise<string | null> {
  const { code, stdout, stderr } = await runCommand(step.command);
  const mark = stdout.lastIndexOf(STATUS_MARK);
  if (code !== 0 || mark < 0) return `the command failed (exit ${code}): ${stderr || stdout}`;
  const status = Number(stdout.slice(mark + STATUS_MARK.length).trim());
  const text = stdout.slice(0, mark);
  const expected = step.answer!;
  if (status !== expected.status)
    return `answered ${status}, the README says ${expected.status}: ${text.slice(0, 600)}`;
  if (expected.body === undefined) return null;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `the answer is not JSON: ${text.slice(0, 300)}`;
  }
  const trial = new Map(vars);
  const diff = matchPattern(expected.body, body, trial);
  if (diff) return `${diff} — in ${text.slice(0, 800)}`;
  for (const [k, v] of trial) vars.set(k, v);
  return null;
}

function startBackground(step: WalkthroughStep): void {
  const command = step.command.replace(/&\s*$/, '');
  const child = spawn('bash', ['-c', script(`exec ${command.trimStart()}`)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const entry = { child, lines: [] as string[] };
  let partial = '';
  child.stdout!.on('data', (d: Buffer) => {
    const parts = (partial + d.toString()).split('\n');
    partial = parts.pop()!;
    entry.lines.push(...parts.filter((l) => l.trim() !== ''));
  });
  background.push(entry);
}

/** Waits until the last background command printed a line matching `pattern`. */
async function awaitPrinted(pattern: unknown, step: WalkthroughStep): Promise<void> {
  const output = background.at(-1)!;
  const deadline = Date.now() + EVENTUALLY_MS;
  for (;;) {
    for (const line of output.lines) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        continue;
      }
      if (matchPattern(pattern, parsed, new Map(vars)) === null) return;
    }
    if (output.child.exitCode !== null) break;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(
    `README line ${step.line} (${step.section}): the background command never printed ${JSON.stringify(pattern)}; it printed:\n${output.lines.join('\n')}`,
  );
}

beforeAll(async () => {
  // The README's own flags; no service URL, as plain `npm start`. PORT 0: a free port instead of 8000.
  city = await composeDemoCity(loadConfig({ PORT: '0', LOG_LEVEL: 'error' }), walkthrough.startArgs, {
    logger: silentLogger,
    progress: () => {},
  });
  const { base } = await city.start();
  address = new URL(base).host;
});

afterAll(async () => {
  for (const { child } of background) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  await city?.cleanup();
});

describe('the README walk-through', () => {
  it('covers orders, riders and delivery, telemetry and the WebSocket', () => {
    expect(walkthrough.startArgs).toEqual(expect.arrayContaining(['--riders', '0']));
    for (const section of [/orders/i, /riders and delivery/i, /telemetry/i, /websocket/i]) {
      const steps = walkthrough.steps.filter((s) => section.test(s.section));
      expect(steps.length, `steps under a heading matching ${section}`).toBeGreaterThanOrEqual(3);
    }
    expect(walkthrough.steps.some((s) => s.prints.length > 0)).toBe(true);
  });

  it('answers every step as the README says, run exactly as written', { timeout: scaledMs(300_000) }, async () => {
    for (const step of walkthrough.steps) {
      const where = `README line ${step.line} (${step.section}): ${step.command.split('\n')[0]}`;
      if (step.background) startBackground(step);
      else {
        let diff = await attempt(step);
        const deadline = Date.now() + EVENTUALLY_MS;
        while (diff !== null && step.answer!.repeat && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 200));
          diff = await attempt(step);
        }
        if (diff !== null)
          throw new Error(`${where}\n${step.answer!.repeat ? `(repeated for ${EVENTUALLY_MS} ms) ` : ''}${diff}`);
      }
      for (const pattern of step.prints) await awaitPrinted(pattern, step);
    }
  });
});
