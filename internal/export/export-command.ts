/**
 * `npm run export -- --from YYYY-MM-DD --to YYYY-MM-DD [--out DIR] [--service-radius-km KM] [--json]`: the medallion
 * export (medallion-export.ts). Parsing, output and exit codes live here, apart from the entry point (export-cli.ts),
 * so tests run the very command a user types in-process.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadCliConfig } from '../config/config.ts';
import { createDatabase } from '../db/database.ts';
import { AppError } from '../platform/errors.ts';
import { runMedallionExport, validateRange } from './medallion-export.ts';

export const EXPORT_USAGE = `Usage:
  npm run export -- --from YYYY-MM-DD --to YYYY-MM-DD [--out DIR] [--service-radius-km KM] [--json]

Exports the events the worker archived (event_archive) with event instants in [from, to) — whole UTC days, at most
31 per run — as Parquet, partitioned by event date:
  DIR/bronze/event_date=D/part-0.parquet          raw messages as consumed
  DIR/silver/<topic table>/event_date=D/…         typed, de-duplicated by event id, checked
  DIR/quarantine/event_date=D/part-0.parquet      rows that failed, with stage and reason
  DIR/gold/daily_store/…, DIR/gold/batch_sizes/…  daily aggregates per store
  DIR/dq/event_date=D/report.json                 the data-quality report
Rerunning a range rewrites its partitions with the same bytes.

--out                 output directory (default ./export)
--service-radius-km   a drop farther than this from its store fails the service-area check (default 15)

Reads DATABASE_URL like the services (the embedded PGlite of npm start lives in that process only).
`;

export interface ExportIo {
  env: Record<string, string | undefined>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** `YYYY-MM-DD` is that UTC midnight; any other ISO instant is taken as written (and must be a UTC midnight). */
const parseDay = (text: string): Date => new Date(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);

/** Runs the command; resolves to the exit code (0 done, 1 failed, 2 usage or configuration error). */
export async function runExportCommand(argv: readonly string[], io: ExportIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        out: { type: 'string', default: 'export' },
        'service-radius-km': { type: 'string', default: '15' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    io.stderr(`${(error as Error).message}\n\n${EXPORT_USAGE}`);
    return 2;
  }
  if (values.help) {
    io.stdout(EXPORT_USAGE);
    return 0;
  }
  if (values.from === undefined || values.to === undefined) {
    io.stderr(`--from and --to are required\n\n${EXPORT_USAGE}`);
    return 2;
  }
  const radiusKm = Number(values['service-radius-km']);
  if (!(radiusKm > 0)) {
    io.stderr(`--service-radius-km must be a positive number, got ${values['service-radius-km']}\n`);
    return 2;
  }
  const from = parseDay(values.from);
  const to = parseDay(values.to);
  try {
    validateRange(from, to);
  } catch (error) {
    if (error instanceof AppError) {
      io.stderr(`${error.slug}: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const config = loadCliConfig(io.stderr, io.env);
  if (!config) return 2;
  if (!config.databaseUrl) {
    io.stderr('DATABASE_URL is not set: the export reads the event archive from Postgres.\n');
    return 2;
  }
  const database = createDatabase(config.databaseUrl);
  try {
    const summary = await runMedallionExport(database.db, {
      from,
      to,
      outDir: resolve(values.out),
      serviceRadiusM: radiusKm * 1_000,
    });
    if (values.json) io.stdout(`${JSON.stringify(summary, null, 2)}\n`);
    else {
      const lines = [
        `exported ${summary.dates.length} day(s) with events to ${resolve(values.out)}: ${summary.dates.join(', ') || 'none'}`,
        ...Object.entries(summary.rows).map(([layer, rows]) => `  ${layer}: ${rows} row(s)`),
        `  quarantined: ${
          Object.entries(summary.quarantinedByStage)
            .map(([stage, n]) => `${stage} ${n}`)
            .join(', ') || 'none'
        }`,
      ];
      io.stdout(`${lines.join('\n')}\n`);
    }
    return 0;
  } catch (error) {
    if (error instanceof AppError && error.kind === 'invalid_input') {
      io.stderr(`${error.slug}: ${error.message}\n`);
      return 2;
    }
    io.stderr(`export failed: ${(error as Error).message ?? String(error)}\n`);
    return 1;
  } finally {
    await database.close();
  }
}
