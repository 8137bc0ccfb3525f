/**
 * `npm start`: a whole living city in one process — the API, the worker and the rider/order simulator — on whatever
 * adapters the environment selects. With no environment at all that is the embedded set (PGlite, in-process bus,
 * in-memory geo store, straight-line router), so it needs no servers. Simulator flags pass through:
 * `npm start -- --riders 40 --rate 10` (cli.ts; `npm start -- --help` lists them with the demo's defaults).
 */
import { describeBound, exitUnlessListenable, listenFailureMessage } from '../../internal/app/listen-address.ts';
import { loadConfigOrExit } from '../../internal/app/run-service.ts';
import { withDispatchOverrides } from '../../internal/config/dispatch-params.ts';
import { DEMO_ARGS, parseStartArgsOrExit } from './cli.ts';

// Answered before the heavy modules load: --help, a bad flag, a bad variable, a taken port (one plain line each).
const userArgs = parseStartArgsOrExit(process.argv.slice(2));
const config = loadConfigOrExit();
await exitUnlessListenable(config.http, 'npm start');

const [{ Registry, collectDefaultMetrics }, { composeApi }, { composeSimulator }, { parseSimulatorArgs }, { composeWorker }, { openAdapters }, { systemClock }, { runUntilSignal, shutdownSteps }, { createLogger }] =
  await Promise.all([
    import('prom-client'),
    import('../api/compose.ts'),
    import('../simulator/compose.ts'),
    import('../simulator/options.ts'),
    import('../worker/worker.ts'),
    import('../../internal/app/adapters.ts'),
    import('../../internal/platform/clock.ts'),
    import('../../internal/platform/lifecycle.ts'),
    import('../../internal/platform/logger.ts'),
  ]);

// The simulator's progress line is the console's summary; the services log warnings and errors only, unless asked.
const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, 'deliverygo');
const metrics = new Registry();
collectDefaultMetrics({ register: metrics });
const tty = process.stdout.isTTY;
/** A plain line on the console, below the progress line that a terminal rewrites in place. */
const say = (line: string) => process.stdout.write(`${tty ? '\n' : ''}${line}\n`);

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
      [
        'simulator',
        async () => {
          const summary = await simulator?.cleanup(); // what the simulated city did, before the services stop
          if (summary) say(summary);
        },
      ],
      ['api', () => api.cleanup()],
      ['worker', () => worker.cleanup()],
      ['adapters', () => adapters.close()],
    ],
    logger,
  );

try {
  const bound = await api.start();
  await worker.start();
  // What is actually bound: the URL to open, and who can reach it.
  const { url: base, scope } = describeBound(bound);
  process.stdout.write(
    [
      '',
      `deliverygo is running (${Object.entries(adapters.kinds).map(([part, kind]) => `${part}: ${kind}`).join(', ')})`,
      `  live map   ${base}/map`,
      `  API docs   ${base}/docs`,
      `  health     ${base}/health`,
      `  listening  ${scope}`,
      '  stop       Ctrl-C',
      '',
    ].join('\n') + '\n',
  );
  simulator = composeSimulator(parseSimulatorArgs([...DEMO_ARGS, ...userArgs, '--api', base]), {
    logger: logger.child({ app: 'simulator' }),
    progress: (line) => process.stdout.write(tty ? `\r\x1b[2K${line}` : `${line}\n`),
  });
  await simulator.start();
} catch (error) {
  const plain = listenFailureMessage(error, undefined, 'npm start'); // the port was taken after the check
  if (plain) process.stderr.write(`${plain}\n`);
  else logger.fatal({ err: error }, 'deliverygo failed to start');
  await cleanup().catch(() => {});
  process.exit(plain ? 2 : 1);
}
void runUntilSignal(cleanup, logger, { say });
