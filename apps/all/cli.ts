/**
 * `npm start`'s command line, kept free of heavy imports so that `--help` and a bad flag answer at once (main.ts loads
 * the database, the bus and the HTTP stack only after this). The flags are the simulator's; `DEMO_ARGS` are the demo
 * city's own defaults, which the user's flags override.
 */
import { OptionsError, parseSimulatorArgs, USAGE } from '../simulator/options.ts';

/** The demo city: a handful of stores around Monaco (the OSRM extract the compose stack routes on), sped up 30×. */
export const DEMO_ARGS: readonly string[] = [
  '--riders',
  '20',
  '--stores',
  '4',
  '--center',
  '43.7384,7.4246',
  '--speed',
  '30',
  '--far-rate',
  '0.05',
  '--utilisation',
  '0.8',
];

/** The environment `npm start` reads, with what it does when a variable is unset (internal/config/config.ts). */
const ENVIRONMENT = `environment:
  PORT                 port of the API, the map and the docs (default 8000)
  HOST                 address to listen on (default 127.0.0.1, this machine only; 0.0.0.0 = every interface)
  DATABASE_URL         PostgreSQL URL (default: embedded PGlite, in memory)
  REDIS_URL            Redis URL (default: in-memory geo store)
  KAFKA_BROKERS        host:port,… (default: in-process event bus)
  OSRM_URL             OSRM base URL (default: the embedded road router on Monaco's streets, data/monaco)
  ROUTER               auto (default), road or straight-line
  LOG_LEVEL            info shows warnings and errors only in npm start (default info)`;

/** `npm start -- --help`: the simulator's flags with the defaults `npm start` actually runs with. */
export function startUsage(): string {
  const demo = new Map<string, string>();
  for (let i = 0; i + 1 < DEMO_ARGS.length; i += 2) demo.set(DEMO_ARGS[i]!.slice(2), DEMO_ARGS[i + 1]!);
  const flags = USAGE.split('\n')
    .slice(1)
    .flatMap((line) => {
      const flag = /^\s+--([a-z-]+)/.exec(line)?.[1];
      if (flag === 'api') return []; // npm start's simulator drives this process's own API
      const value = flag === undefined ? undefined : demo.get(flag);
      return value === undefined ? [line] : [`${line.replace(/\s*\(default[^)]*\)\s*$/, '')} (default ${value})`];
    });
  return [
    'usage: npm start -- [options]',
    'The whole city in one process: the API, the worker, and simulated customers and riders (the demo city is Monaco).',
    '',
    'options (defaults are those npm start uses):',
    ...flags,
    '  --help, -h           this text',
    '',
    ENVIRONMENT,
  ].join('\n');
}

/**
 * An `OptionsError` as one line that names the culprit and points to `--help`, instead of node:util's long
 * parseArgs message (`Unknown option '--x'. To specify a positional argument starting with a '-', place it …`).
 */
export function describeOptionsError(error: OptionsError, command: string): string {
  const unknown = /^Unknown option '([^']+)'/.exec(error.message)?.[1];
  const positional = /^Unexpected argument '([^']+)'/.exec(error.message)?.[1];
  const what = unknown ? `unknown option ${unknown}` : positional ? `unexpected argument ${positional}` : error.message;
  return `${command}: ${what} — see \`${command} -- --help\``;
}

/**
 * Handles `npm start`'s arguments before anything heavy loads: prints the usage and exits 0 on `--help`/`-h`, prints
 * one line and exits 2 on a bad flag; otherwise returns the arguments to pass on after `DEMO_ARGS`.
 */
export function parseStartArgsOrExit(argv: readonly string[]): readonly string[] {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${startUsage()}\n`);
    process.exit(0);
  }
  try {
    parseSimulatorArgs([...DEMO_ARGS, ...argv]);
  } catch (error) {
    if (!(error instanceof OptionsError)) throw error;
    process.stderr.write(`${describeOptionsError(error, 'npm start')}\n`);
    process.exit(2);
  }
  return argv;
}
