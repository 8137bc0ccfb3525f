/**
 * `npm run dlq -- list|replay …`: lists and replays dead-lettered messages on Kafka (see dlq-command.ts for the
 * options, dead-letters.ts for how replays are recorded).
 */
import { runDlqCommand } from './dlq-command.ts';

process.exitCode = await runDlqCommand(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
