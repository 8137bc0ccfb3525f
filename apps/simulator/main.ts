/**
 * `npm run simulator -- --riders 20 --rate 4 --speed 10 --duration 120`: simulated riders and customers driving a
 * running deliverygo API over HTTP. Prints a progress line every few seconds and a summary at the end (on
 * `--duration`, Ctrl-C or SIGTERM). See options.ts for every flag.
 */
import { writeFile } from 'node:fs/promises';
import { createLogger } from '../../internal/platform/logger.ts';
import { composeSimulator } from './compose.ts';
import { OptionsError, parseSimulatorArgs, USAGE, wantsHelp } from './options.ts';

const argv = process.argv.slice(2);
if (wantsHelp(argv)) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
let options;
try {
  options = parseSimulatorArgs(argv, { OPERATOR_KEY: process.env.OPERATOR_KEY });
} catch (error) {
  if (!(error instanceof OptionsError)) throw error;
  process.stderr.write(`${error.message}\n${USAGE}\n`);
  process.exit(2);
}

const logger = createLogger('warn', 'simulator');
const tty = process.stdout.isTTY;
const sim = composeSimulator(options, {
  logger,
  // One line, rewritten in place on a terminal; one line per report when piped.
  progress: (line) => process.stdout.write(tty ? `\r\x1b[2K${line}` : `${line}\n`),
});

let stopping = false;
const stop = (signal: string) => {
  if (stopping) process.exit(130); // a second Ctrl-C: leave now
  stopping = true;
  process.stderr.write(`\n${signal}: stopping the simulation…\n`);
  void sim.cleanup();
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
// A drain: no new orders, the accepted ones are still cooked and delivered (used by `npm run chaos`).
process.on('SIGUSR2', () => {
  process.stderr.write('\nSIGUSR2: no new orders; kitchens and riders finish the accepted ones…\n');
  sim.stopOrdering();
});

try {
  await sim.start();
} catch (error) {
  process.stderr.write(`simulator failed to start: ${(error as Error).message}\n`);
  await sim.cleanup();
  process.exit(1);
}
const summary = await sim.done;
process.stdout.write(`${tty ? '\n' : ''}${summary}\n`);
if (options.tallyFile) await writeFile(options.tallyFile, `${JSON.stringify(sim.tally, null, 2)}\n`);
process.exit(0);
