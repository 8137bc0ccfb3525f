import { describe, expect, it } from 'vitest';
import { OptionsError, parseSimulatorArgs } from '../simulator/options.ts';
import { DEMO_ARGS, describeOptionsError, startUsage } from './cli.ts';

describe("npm start's command line", () => {
  it('--help shows the defaults npm start runs with, not the standalone simulator’s', () => {
    const usage = startUsage();
    const lineOf = (flag: string) => usage.split('\n').find((l) => l.trimStart().startsWith(`--${flag} `)) ?? '';
    const demo = parseSimulatorArgs(DEMO_ARGS);
    const standalone = parseSimulatorArgs([]);
    for (let i = 0; i < DEMO_ARGS.length; i += 2) {
      const flag = DEMO_ARGS[i]!.slice(2);
      expect(lineOf(flag), `--${flag}`).toMatch(new RegExp(`\\(default ${DEMO_ARGS[i + 1]!.replace('.', '\\.')}\\)$`));
    }
    // The values differ from the simulator's own defaults, so the check above is not vacuous.
    expect([demo.riders, demo.speed, demo.center.lat]).not.toEqual([
      standalone.riders,
      standalone.speed,
      standalone.center.lat,
    ]);
    expect(usage).not.toContain('48.8566'); // the standalone simulator's Paris
    expect(usage).not.toContain('--api'); // npm start drives its own API
    expect(usage).toMatch(/^usage: npm start -- \[options\]/);
    for (const variable of ['PORT', 'HOST']) expect(usage).toMatch(new RegExp(`^  ${variable}\\s`, 'm'));
  });

  it('a bad flag is one line that names it and points to --help', () => {
    const error = (() => {
      try {
        parseSimulatorArgs(['--bogus']);
      } catch (e) {
        return e as OptionsError;
      }
      throw new Error('--bogus was accepted');
    })();
    expect(describeOptionsError(error, 'npm start')).toBe(
      'npm start: unknown option --bogus — see `npm start -- --help`',
    );
    expect(
      describeOptionsError(new OptionsError('--riders: must be an integer in [0, 5000], got "x"'), 'npm start'),
    ).toBe('npm start: --riders: must be an integer in [0, 5000], got "x" — see `npm start -- --help`');
  });
});
