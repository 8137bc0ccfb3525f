import { parseArgs } from 'node:util';
import type { Point } from './geo-math.ts';
import type { SimulationMode } from './rate-schedule.ts';

/** Everything a simulation run is told on the command line (see `npm run simulator -- --help`). */
export interface SimulatorOptions {
  /** Base URL of the deliverygo API. */
  api: string;
  /**
   * The operator key the simulator registers stores and riders with (`--key`, else the `OPERATOR_KEY` environment
   * variable). Riders then act with their own tokens, stores' kitchens with their store keys (api-client.ts).
   */
  key: string | undefined;
  riders: number;
  /** Demo stores to create around `center` when the API has none. */
  stores: number;
  center: Point;
  mode: SimulationMode;
  /**
   * Orders per virtual minute (tripled during the rush in `delivery_rush`); undefined = sized to the fleet
   * (demand-sizing.ts) so that `utilisation` of the riders' time is busy.
   */
  rate: number | undefined;
  /** Target share of the riders' time the sized demand keeps busy (ignored with an explicit `rate`). */
  utilisation: number;
  /** Mean orders per bundle the sizing assumes the dispatcher forms. */
  bundleSize: number;
  /** Virtual seconds per wall-clock second. */
  speed: number;
  /** Wall-clock seconds to run; undefined = until a signal. */
  durationS: number | undefined;
  /** Share of drops first confirmed deliberately far from the drop point (exercises the 409). */
  farRate: number;
  /** Rider speed on the road, km/h (virtual). */
  riderSpeedKmh: number;
  /** Wall-clock milliseconds between two GPS fixes of a rider. */
  pingIntervalMs: number;
  /** Seed of the pseudo-random generator, for reproducible runs. */
  seed: number;
  /** Seconds between two progress lines. */
  progressS: number;
  /** Where the final tally is written as JSON (`--tally-file`), for a caller such as `npm run chaos`; undefined = nowhere. */
  tallyFile: string | undefined;
}

/**
 * The sized demand's defaults. The target is the low end of the 70–85 % band a fleet can hold (enough slack that random
 * Poisson arrivals do not queue up, busy enough that the city looks alive) because the sizing model leaves out riders
 * waiting at the store and API latency counted in simulated time, which measured about ten points on top: 0.75
 * targeted gave 0.81–0.94 measured (apps/all/demo-city.int.test.ts at 60× on a loaded 2-core machine), and 0.7 kept
 * every rider busy for long stretches on a quiet one (fewer idle riders than the steady-state test asks for), so 0.65.
 */
export const DEFAULT_UTILISATION = 0.55;
/**
 * The bundle the current dispatcher forms at that load: measured with `npm start` (the console's `bundle` figure is the
 * mean over the day's delivered batches) — see demand-sizing.ts.
 */
export const DEFAULT_BUNDLE_SIZE = 1.1; // with the one dispatch core: 1.09 over a 10-minute `npm start`

export const USAGE = `usage: npm run simulator -- [options]
  --api URL            deliverygo API base URL (default http://127.0.0.1:8000)
  --key KEY            operator key (default: the OPERATOR_KEY environment variable)
  --riders N           simulated riders (default 10)
  --stores N           demo stores to create around --center when the API has none (default 5)
  --center LAT,LON     centre of the demo city (default 48.8566,2.3522)
  --mode M             steady | delivery_rush (18:00–20:00 virtual at 3× the rate) (default steady)
  --rate R             orders per virtual minute (default: sized to the fleet, see --utilisation)
  --utilisation U      share of the riders' time the sized demand keeps busy (default ${DEFAULT_UTILISATION})
  --bundle B           mean orders per bundle the sizing assumes (default ${DEFAULT_BUNDLE_SIZE})
  --speed S            time speed-up factor (default 1)
  --duration SECONDS   stop after this many wall-clock seconds (default: run until Ctrl-C)
  --far-rate P         share of drops first confirmed ~150 m away, to see the 409 (default 0.05)
  --rider-speed KMH    rider speed (default 25)
  --ping-ms MS         wall-clock ms between GPS fixes (default 1000)
  --seed N             random seed (default: random)
  --progress SECONDS   seconds between progress lines (default 3)
  --tally-file PATH    write the final tally (orders accepted, errors by kind, …) there as JSON
Signals: SIGINT/SIGTERM stop the run; SIGUSR2 stops placing new orders while kitchens and riders finish the
accepted ones (a drain).`;

export class OptionsError extends Error {
  override name = 'OptionsError';
}

function num(
  name: string,
  raw: string | undefined,
  fallback: number,
  check: (n: number) => boolean,
  rule: string,
): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || !check(n))
    throw new OptionsError(`--${name}: ${rule}, got ${JSON.stringify(raw)}`);
  return n;
}

/** Parses the simulator's flags; throws `OptionsError` naming the flag. `--help` is left to the caller. */
export function parseSimulatorArgs(
  argv: readonly string[],
  env: { OPERATOR_KEY?: string | undefined } = {},
): SimulatorOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        api: { type: 'string' },
        key: { type: 'string' },
        riders: { type: 'string' },
        stores: { type: 'string' },
        center: { type: 'string' },
        mode: { type: 'string' },
        rate: { type: 'string' },
        utilisation: { type: 'string' },
        bundle: { type: 'string' },
        speed: { type: 'string' },
        duration: { type: 'string' },
        'far-rate': { type: 'string' },
        'rider-speed': { type: 'string' },
        'ping-ms': { type: 'string' },
        seed: { type: 'string' },
        progress: { type: 'string' },
        'tally-file': { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (error) {
    throw new OptionsError((error as Error).message);
  }
  const api = values.api ?? 'http://127.0.0.1:8000';
  try {
    const u = new URL(api);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
  } catch {
    throw new OptionsError(`--api: must be an http(s) URL, got ${JSON.stringify(api)}`);
  }
  const mode = values.mode ?? 'steady';
  if (mode !== 'steady' && mode !== 'delivery_rush')
    throw new OptionsError(`--mode: must be steady or delivery_rush, got ${JSON.stringify(mode)}`);
  const centerRaw = values.center ?? '48.8566,2.3522';
  const parts = centerRaw.split(',').map((s) => Number(s.trim()));
  const [lat, lon] = parts;
  if (
    parts.length !== 2 ||
    lat === undefined ||
    lon === undefined ||
    !Number.isFinite(lat) ||
    !Number.isFinite(lon) ||
    Math.abs(lat) > 85 ||
    Math.abs(lon) > 180
  ) {
    throw new OptionsError(`--center: must be LAT,LON within ±85,±180, got ${JSON.stringify(centerRaw)}`);
  }
  const int = (n: number) => Number.isInteger(n);
  const duration =
    values.duration === undefined
      ? undefined
      : num('duration', values.duration, 0, (n) => n > 0, 'must be a positive number of seconds');
  const key = values.key ?? (env.OPERATOR_KEY?.trim() || undefined);
  if (key !== undefined && !/^dgo_op_[A-Za-z0-9_-]{20,}$/.test(key))
    throw new OptionsError('--key: must be an operator key (dgo_op_…), as `npm run keys -- create` prints it');
  return {
    api,
    key,
    riders: num('riders', values.riders, 10, (n) => int(n) && n >= 0 && n <= 5_000, 'must be an integer in [0, 5000]'),
    stores: num('stores', values.stores, 5, (n) => int(n) && n >= 1 && n <= 200, 'must be an integer in [1, 200]'),
    center: { lat, lon },
    mode,
    rate:
      values.rate === undefined
        ? undefined
        : num('rate', values.rate, 0, (n) => n >= 0 && n <= 10_000, 'must be a number in [0, 10000]'),
    utilisation: num(
      'utilisation',
      values.utilisation,
      DEFAULT_UTILISATION,
      (n) => n > 0 && n <= 1,
      'must be a share in (0, 1]',
    ),
    bundleSize: num(
      'bundle',
      values.bundle,
      DEFAULT_BUNDLE_SIZE,
      (n) => n >= 1 && n <= 50,
      'must be a number in [1, 50]',
    ),
    speed: num('speed', values.speed, 1, (n) => n > 0 && n <= 1_000, 'must be a number in (0, 1000]'),
    durationS: duration,
    farRate: num('far-rate', values['far-rate'], 0.05, (n) => n >= 0 && n <= 1, 'must be a share in [0, 1]'),
    riderSpeedKmh: num('rider-speed', values['rider-speed'], 25, (n) => n > 0 && n <= 200, 'must be in (0, 200]'),
    pingIntervalMs: num(
      'ping-ms',
      values['ping-ms'],
      1_000,
      (n) => int(n) && n >= 100 && n <= 60_000,
      'must be an integer in [100, 60000]',
    ),
    seed: num(
      'seed',
      values.seed,
      Math.floor(Math.random() * 2 ** 31),
      (n) => int(n) && n >= 0,
      'must be a non-negative integer',
    ),
    progressS: num('progress', values.progress, 3, (n) => n > 0 && n <= 3_600, 'must be in (0, 3600]'),
    tallyFile: values['tally-file']?.trim() || undefined,
  };
}

/** Whether the arguments ask for the usage text. */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}
