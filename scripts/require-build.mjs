#!/usr/bin/env node
// Runs before `npm start`, `npm run api|worker|simulator|migrate` (npm's pre-scripts), which run the compiled JavaScript
// in dist/. Stops them with one plain line when there is no build, or when a source file changed after the last one —
// rather than a module-not-found stack trace, or yesterday's code running quietly. Plain JavaScript: it must run before
// anything is compiled. Where there are no sources (an image holding only dist/), there is nothing to compare.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const builtEntry = join(root, 'dist', 'apps', 'api', 'main.js');
const fix = 'run `npm run build` first (or `npm run dev` / `npm run dev:api` … to run the TypeScript sources with tsx)';

if (!existsSync(builtEntry)) {
  process.stderr.write(`deliverygo is not built: ${fix}.\n`);
  process.exit(1);
}

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

if (existsSync(join(root, 'apps')) && existsSync(join(root, 'internal'))) {
  const built = statSync(builtEntry).mtimeMs;
  const newest = newestSource(join(root, 'internal'), newestSource(join(root, 'apps')));
  if (newest.ms > built) {
    process.stderr.write(`deliverygo's build is older than ${newest.file.slice(root.length + 1)}: ${fix}.\n`);
    process.exit(1);
  }
}
