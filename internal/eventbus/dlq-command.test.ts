import { describe, expect, it } from 'vitest';
import { DLQ_USAGE, runDlqCommand } from './dlq-command.ts';

async function run(argv: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const code = await runDlqCommand(argv, { env, stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}

describe('npm run dlq: arguments and configuration', () => {
  it('prints its usage, which says the embedded bus cannot be reached', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toBe(DLQ_USAGE);
    expect(help.out).toContain('in-process bus');
  });

  it('refuses unknown commands and options with the usage (exit 2)', async () => {
    for (const argv of [[], ['purge'], ['list', '--bogus'], ['list', '--id', 'x'], ['replay', 'extra']]) {
      const result = await run(argv, { KAFKA_BROKERS: '127.0.0.1:1' });
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.err).toContain('Usage:');
    }
  });

  it('without KAFKA_BROKERS explains that the in-process bus lives in the service process (exit 2)', async () => {
    const result = await run(['list']);
    expect(result.code).toBe(2);
    expect(result.err).toContain('KAFKA_BROKERS is not set');
    expect(result.err).toContain('eventbus_dead_lettered_total');
  });
});
