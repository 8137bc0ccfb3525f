/**
 * `npm run keys -- create --label NAME [--store ID] | list | revoke ID`: API credentials in the configured Postgres
 * (`DATABASE_URL`), migrated first. The embedded database lives inside `npm start`, which prints its own demo key.
 */
import { loadCliConfig } from '../config/config.ts';
import { openDatabase } from '../db/open-database.ts';
import { systemClock } from '../platform/clock.ts';
import { pino } from 'pino';
import { KEYS_USAGE, runKeysCommand } from './keys-command.ts';

async function main(): Promise<number> {
  const config = loadCliConfig((text) => process.stderr.write(text));
  if (!config) return 2;
  if (config.databaseUrl === undefined) {
    process.stderr.write(
      `DATABASE_URL (or POSTGRES_DSN) is not set: keys live in Postgres. (npm start's embedded database prints its own demo operator key.)\n${KEYS_USAGE}\n`,
    );
    return 2;
  }
  // Progress goes to stderr at warn level: stdout carries only the command's answer (a token can be piped).
  const logger = pino(
    { name: 'keys', level: config.logLevel === 'info' ? 'warn' : config.logLevel },
    pino.destination(2),
  );
  const database = await openDatabase(config, logger, 'deliverygo-keys');
  try {
    return await runKeysCommand(process.argv.slice(2), {
      db: database.db,
      clock: systemClock,
      out: (line) => process.stdout.write(`${line}\n`),
      err: (line) => process.stderr.write(`${line}\n`),
    });
  } catch (error) {
    logger.error({ err: error }, 'keys command failed');
    return 1;
  } finally {
    await database.close();
  }
}

process.exitCode = await main();
