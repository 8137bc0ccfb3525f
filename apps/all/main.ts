/**
 * `npm start`: a whole living city in one process — the API, the worker and the rider/order simulator — on whatever
 * adapters the environment selects, all on one simulated clock (demo-city.ts). With no environment at all that is the
 * embedded set (PGlite, in-process bus, in-memory geo store, the road router on the demo city's streets), so it needs no
 * servers. Simulator
 * flags pass through: `npm start -- --riders 40 --speed 10` (cli.ts; `npm start -- --help` lists them with the demo's
 * defaults).
 */
import { exitUnlessListenable, listenFailureMessage } from '../../internal/app/listen-address.ts';
import { loadConfigOrExit, startProcessTracing, withTracingShutdown } from '../../internal/app/run-service.ts';
import { parseStartArgsOrExit } from './cli.ts';

// Answered before the heavy modules load: --help, a bad flag, a bad variable, a taken port (one plain line each).
const userArgs = parseStartArgsOrExit(process.argv.slice(2));
const config = loadConfigOrExit();
await exitUnlessListenable(config.http, 'npm start');

const [
  { Registry, collectDefaultMetrics },
  { composeDemoCity },
  { describeSizing },
  { runUntilSignal },
  { createLogger },
] = await Promise.all([
  import('prom-client'),
  import('./demo-city.ts'),
  import('../simulator/demand-sizing.ts'),
  import('../../internal/platform/lifecycle.ts'),
  import('../../internal/platform/logger.ts'),
]);

// The simulator's progress line is the console's summary; the services log warnings and errors only, unless asked.
const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, 'deliverygo');
const metrics = new Registry();
collectDefaultMetrics({ register: metrics });
const tracing = await startProcessTracing(config, 'deliverygo', logger);
const tty = process.stdout.isTTY;
/** A plain line on the console, below the progress line that a terminal rewrites in place. */
const say = (line: string) => process.stdout.write(`${tty ? '\n' : ''}${line}\n`);

let city: Awaited<ReturnType<typeof composeDemoCity>>;
try {
  city = await composeDemoCity(config, userArgs, {
    logger,
    metrics,
    say,
    progress: (line) => process.stdout.write(tty ? `\r\x1b[2K${line}` : `${line}\n`),
  });
} catch (error) {
  logger.fatal({ err: error }, 'deliverygo failed to start');
  process.exit(1);
}

try {
  await city.start(({ url, scope }) =>
    process.stdout.write(
      `${[
        '',
        `deliverygo is running (${Object.entries(city.adapters.kinds)
          .map(([part, kind]) => `${part}: ${kind}`)
          .join(', ')})`,
        `  live map   ${url}/map#key=${city.operatorKey}`,
        `  analytics  ${url}/dashboard#key=${city.operatorKey}`,
        `  operator   ${city.operatorKey}   (this run's operator key: Authorization: Bearer …; set OPERATOR_KEY to keep one)`,
        `  API docs   ${url}/docs`,
        `  health     ${url}/health`,
        `  listening  ${scope}`,
        `  clock      simulated, ${city.clock.speed}× the wall clock (every time and figure below and on the map is simulated)`,
      ].join('\n')}\n`,
    ),
  );
  const sim = city.simulator();
  const sizing = sim?.sizing();
  process.stdout.write(
    `  demand     ${sizing ? describeSizing(sizing, city.options.riders) : `${sim?.baseRate()}/min (--rate)`}${city.options.mode === 'delivery_rush' ? ', tripled 18:00–20:00' : ''}\n` +
      '  stop       Ctrl-C\n\n',
  );
} catch (error) {
  const plain = listenFailureMessage(error, undefined, 'npm start'); // the port was taken after the check
  if (plain) process.stderr.write(`${plain}\n`);
  else logger.fatal({ err: error }, 'deliverygo failed to start');
  await withTracingShutdown(city.cleanup, tracing)().catch(() => {});
  process.exit(plain ? 2 : 1);
}
void runUntilSignal(withTracingShutdown(city.cleanup, tracing), logger, { say });
