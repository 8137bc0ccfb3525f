/** `npm run export -- --from … --to …`: the medallion export (see export-command.ts for the options). */
import { runExportCommand } from './export-command.ts';

process.exitCode = await runExportCommand(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
