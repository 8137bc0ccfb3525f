/**
 * `npm start`: a whole living city in one process — the API, the worker and the rider/order simulator — on whatever
 * adapters the environment selects. With no environment at all that is the embedded set (PGlite, in-process bus,
 * in-memory geo store, straight-line router), so it needs no servers. Simulator flags pass through:
 * `npm start -- --riders 40 --rate 10`.
 */
import { Registry, collectDefaultMetrics } from 'prom-client';
import { composeApi } from '../api/compose.ts';
import { composeSimulator } from '../simulator/compose.ts';
import { OptionsError, parseSimulatorArgs, USAGE, wantsHelp } from '../simulator/options.ts';
import { composeWorker } from '../worker/worker.ts';
import { openAdapters } from '../../internal/app/adapters.ts';
import { loadConfigOrExit } from '../../internal/app/run-service.ts';
import { withDispatchOverrides } from '../../internal/config/dispatch-params.ts';
import { systemClock } from '../../internal/platform/clock.ts';
import { runUntilSignal, shutdownSteps } from '../../internal/platform/lifecycle.ts';
import { createLogger } from '../../internal/platform/logger.ts';

/** The demo city: a handful of stores around Monaco (the OSRM extract the compose stack routes on), sped up 30×. */
const DEMO_ARGS = ['--riders', '20', '--stores', '4', '--center', '43.7384,7.4246', '--rate', '8', '--speed', '30', '--far-rate', '0.05'];

const userArgs = process.argv.slice(2);
if (wantsHelp(userArgs)) {
  process.stdout.write(`usage: npm start -- [simulator options]\n${USAGE.split('\n').slice(1).join('\n')}\n`);
  process.exit(0);
}

const config = loadConfigOrExit();
try {
  parseSimulatorArgs([...DEMO_ARGS, ...userArgs]); // fail fast on a bad flag, before anything starts
} catch (error) {
  if (!(error instanceof OptionsError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
}

// The simulator's progress line is the console's summary; the services log warnings and errors only, unless asked.
const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, 'deliverygo');
const metrics = new Registry();
collectDefaultMetrics({ register: metrics });

const adapters = await openAdapters(config, logger, { clock: systemClock, applicationName: 'deliverygo', registry: metrics });
// A demo city wants to see batches move: a short wait window keeps the sped-up kitchens and riders busy (unless a parameter
// set was configured: then that one runs as given). The API gets the same set, so /health names what the worker runs.
const configured = config.dispatch.source.split(' + ').some((part) => part !== 'built-in' && part !== 'H3_RESOLUTION');
const dispatch = configured ? config.dispatch : withDispatchOverrides(config.dispatch, { waitWindowSeconds: 60 }, 'demo');
const demoConfig = { ...config, dispatch };
const api = await composeApi(demoConfig, logger.child({ app: 'api' }), { adapters, metrics });
const worker = await composeWorker(demoConfig, logger.child({ app: 'worker' }), { adapters, metrics });
let simulator: ReturnType<typeof composeSimulator> | undefined;

const cleanup = () =>
  shutdownSteps(
    [
      ['simulator', async () => void (await simulator?.cleanup())],
      ['api', () => api.cleanup()],
      ['worker', () => worker.cleanup()],
      ['adapters', () => adapters.close()],
    ],
    logger,
  );

try {
  const { port } = await api.start();
  await worker.start();
  const base = `http://127.0.0.1:${port}`;
  process.stdout.write(
    [
      '',
      `deliverygo is running (${Object.entries(adapters.kinds).map(([part, kind]) => `${part}: ${kind}`).join(', ')})`,
      `  live map   ${base}/map`,
      `  API docs   ${base}/docs`,
      `  health     ${base}/health`,
      '',
    ].join('\n') + '\n',
  );
  const tty = process.stdout.isTTY;
  simulator = composeSimulator(parseSimulatorArgs([...DEMO_ARGS, ...userArgs, '--api', base]), {
    logger: logger.child({ app: 'simulator' }),
    progress: (line) => process.stdout.write(tty ? `\r\x1b[2K${line}` : `${line}\n`),
  });
  await simulator.start();
} catch (error) {
  logger.fatal({ err: error }, 'deliverygo failed to start');
  await cleanup().catch(() => {});
  process.exit(1);
}
void runUntilSignal(cleanup, logger);
