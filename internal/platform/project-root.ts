import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The directory holding deliverygo's package.json, found by walking up from this file. Files the processes read at run
 * time (web/, migrations/) live there, outside the compiled code: the same lookup works from the TypeScript sources
 * (`internal/platform/`), from `dist/internal/platform/` after `npm run build`, and in the Docker image.
 */
export function findProjectRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'migrations'))) return dir;
    if (dirname(dir) === dir)
      throw new Error(`no deliverygo project root (package.json beside migrations/) above ${from}`);
  }
}

/** See `findProjectRoot`. */
export const PROJECT_ROOT = findProjectRoot();
