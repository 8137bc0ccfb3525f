/**
 * `npm start`: a whole living city in one process — the API, the worker and the rider/order simulator — on whatever
 * adapters the environment selects, all on one simulated clock (demo-city.ts). With no environment at all that is the
 * embedded set (PGlite, in-process bus, in-memory geo store, straight-line router), so it needs no servers. Simulator
 * flags pass through: `npm start -- --riders 40 --speed 10`.
 */
import { Registry, collectDefaultMetrics } from 'prom-client';
import { OptionsError, USAGE, wantsHelp } from '../simulator/options.ts';
import { loadConfigOrExit } from '../../internal/app/run-service.ts';
import { runUntilSignal } from '../../internal/platform/lifecycle.ts';
import { createLogger } from '../../internal/platform/logger.ts';
import { describeSizing } from '../simulator/demand-sizing.ts';
import { composeDemoCity, type DemoCity } from './demo-city.ts';

const userArgs = process.argv.slice(2);
if (wantsHelp(userArgs)) {
  process.stdout.write(`usage: npm start -- [simulator options]\n${USAGE.split('\n').slice(1).join('\n')}\n`);
  process.exit(0);
}

const config = loadConfigOrExit();
// The simulator's progress line is the console's summary; the services log warnings and errors only, unless asked.
const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, 'deliverygo');
const metrics = new Registry();
collectDefaultMetrics({ register: metrics });
const tty = process.stdout.isTTY;

let city: DemoCity;
try {
  city = await composeDemoCity(config, userArgs, { logger, metrics, progress: (line) => process.stdout.write(tty ? `\r\x1b[2K${line}` : `${line}\n`) });
} catch (error) {
  if (error instanceof OptionsError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  logger.fatal({ err: error }, 'deliverygo failed to start');
  process.exit(1);
}

try {
  await city.start((base) =>
    process.stdout.write(
      [
        '',
        `deliverygo is running (${Object.entries(city.adapters.kinds).map(([part, kind]) => `${part}: ${kind}`).join(', ')})`,
        `  live map   ${base}/map`,
        `  API docs   ${base}/docs`,
        `  health     ${base}/health`,
        `  clock      simulated, ${city.clock.speed}× the wall clock (every time and figure below and on the map is simulated)`,
        '',
      ].join('\n') + '\n',
    ),
  );
  const sim = city.simulator();
  const sizing = sim?.sizing();
  process.stdout.write(
    `  demand     ${sizing ? describeSizing(sizing, city.options.riders) : `${sim?.baseRate()}/min (--rate)`}${city.options.mode === 'delivery_rush' ? ', tripled 18:00–20:00' : ''}\n\n`,
  );
} catch (error) {
  logger.fatal({ err: error }, 'deliverygo failed to start');
  await city.cleanup().catch(() => {});
  process.exit(1);
}
void runUntilSignal(city.cleanup, logger);
