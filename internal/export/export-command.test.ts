import { describe, expect, it } from 'vitest';
import { EXPORT_USAGE, runExportCommand } from './export-command.ts';

/** Runs the command with `env`, collecting its output. */
async function run(argv: string[], env: Record<string, string | undefined> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runExportCommand(argv, {
    env,
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
  });
  return { code, stdout, stderr };
}

describe('npm run export: arguments', () => {
  it('prints the usage on --help', async () => {
    expect(await run(['--help'])).toEqual({ code: 0, stdout: EXPORT_USAGE, stderr: '' });
  });

  it('refuses a missing or partial-day range with exit 2, naming the field', async () => {
    expect((await run(['--from', '2026-11-21'])).stderr).toMatch(/^--from and --to are required/);
    expect((await run(['--from', '2026-11-21T06:00:00Z', '--to', '2026-11-22'])).stderr).toBe(
      'export.invalid_range: from must be a UTC midnight (YYYY-MM-DD)\n',
    );
    expect((await run(['--from', '2026-11-22', '--to', '2026-11-21'])).stderr).toBe(
      'export.invalid_range: to must be after from\n',
    );
    expect((await run(['--from', '2026-01-01', '--to', '2026-03-01'])).stderr).toBe(
      'export.invalid_range: at most 31 days per run\n',
    );
    expect((await run(['--from', 'soon', '--to', '2026-11-22'])).code).toBe(2);
  });

  it('refuses a bad radius, an unknown option and a missing DATABASE_URL with exit 2', async () => {
    const range = ['--from', '2026-11-21', '--to', '2026-11-22'];
    expect(await run([...range, '--service-radius-km', '0'])).toMatchObject({ code: 2 });
    expect(await run([...range, '--nope'])).toMatchObject({ code: 2 });
    const missing = await run(range);
    expect(missing).toMatchObject({ code: 2 });
    expect(missing.stderr).toMatch(/^DATABASE_URL is not set/);
  });
});
