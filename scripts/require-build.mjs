#!/usr/bin/env node
// Runs before `npm start`, `npm run api|worker|simulator|migrate` (npm's pre-scripts), which run the compiled JavaScript
// in dist/. When there is no build, or a source file changed after the last one, it builds first (one line says so),
// so `npm ci && npm start` works on a fresh clone and yesterday's code never runs quietly. Without the compiler (an
// install with --omit=dev) it stops with one plain line instead. Plain JavaScript: it must run before anything is
// compiled (DELIVERYGO_BUILD_CHECK_ONLY=1: only check). Where there are no sources (an image holding only dist/), there is nothing to compare.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const builtEntry = join(root, 'dist', 'apps', 'api', 'main.js');
const hasSources = existsSync(join(root, 'apps')) && existsSync(join(root, 'internal'));

/** Newest modification time of the compiled sources (apps/, internal/ without tests), and its file. */
function newestSource(dir, newest = { ms: 0, file: '' }) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'testing') newestSource(path, newest);
    } else if (entry.name.endsWith('.ts') && !/\.(test|contract)\.ts$/.test(entry.name)) {
      const ms = statSync(path).mtimeMs;
      if (ms > newest.ms) Object.assign(newest, { ms, file: path });
    }
  }
  return newest;
}

/** Why dist/ must be (re)built, or undefined when it is current. */
function staleness() {
  if (!existsSync(builtEntry)) return 'no build yet';
  if (!hasSources) return undefined;
  const built = statSync(builtEntry).mtimeMs;
  const newest = newestSource(join(root, 'internal'), newestSource(join(root, 'apps')));
  return newest.ms > built ? `${newest.file.slice(root.length + 1)} changed since the last build` : undefined;
}

const why = staleness();
if (why) {
  // Tests pass DELIVERYGO_BUILD_CHECK_ONLY=1: they must not rebuild dist/ while other tests run from it.
  if (
    !hasSources ||
    !existsSync(join(root, 'node_modules', 'typescript')) ||
    process.env.DELIVERYGO_BUILD_CHECK_ONLY === '1'
  ) {
    process.stderr.write(
      `deliverygo is not built (${why}) and the compiler is not installed: run \`npm ci\` then \`npm run build\`.\n`,
    );
    process.exit(1);
  }
  process.stderr.write(`deliverygo: building dist/ first (${why}) …\n`);
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
