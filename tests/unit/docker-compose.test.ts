/**
 * docker-compose.yml and the Dockerfile, checked without a Docker engine: the compose file is parsed and its wiring
 * compared with what the code actually does — the entrypoints exist, the environment names variables that
 * internal/config/config.ts reads and points at the compose services, every dependency and health condition has a
 * target — and the image is checked to compile every file the three processes import (build stage) and to contain the
 * compiled JavaScript and every file they read at run time (runtime stage).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { mintToken } from '../../internal/auth/token.ts';
import { parseSimulatorArgs } from '../../apps/simulator/options.ts';
import { roadGraphPath, roadLayerPath } from '../../internal/routing/create-router.ts';
import { MAP_ASSETS } from '../../apps/api/routes/map-page.ts';
import { loadConfig } from '../../internal/config/config.ts';
import { MIGRATIONS_DIR } from '../../internal/db/migrate.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

type Env = Record<string, string | number | boolean | null>;
interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Env | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  ports?: Array<string | number>;
  restart?: string;
}

// `merge: true` resolves the `<<: *app-env` keys the way Compose does.
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;

/** What the README has the user export before `docker compose up` (compose refuses to start without it). */
const SHELL: Record<string, string> = { OPERATOR_KEY: mintToken('operator') };

/**
 * Compose's interpolation of `${NAME}`, `${NAME:-default}` and `${NAME:?message}` from `SHELL`; a required variable
 * that is not there fails, as `docker compose up` does.
 */
function interpolate(value: string): string {
  return value.replace(/\$\{([A-Z0-9_]+)(?::([-?])([^}]*))?\}/g, (_, name: string, op?: string, arg?: string) => {
    const set = SHELL[name];
    if (set !== undefined && set !== '') return set;
    if (op === '?') throw new Error(`compose needs ${name}: ${arg}`);
    return op === '-' ? (arg ?? '') : '';
  });
}

/** A service's environment as name → string (interpolated), whichever of the two Compose forms it uses. */
function envOf(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env))
    return Object.fromEntries(env.map((kv) => [kv.split('=')[0]!, interpolate(kv.split('=').slice(1).join('='))]));
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : interpolate(String(v))]));
}

function dependsOn(service: Service): Record<string, string> {
  const deps = service.depends_on ?? [];
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((name) => [name, 'service_started']));
  return Object.fromEntries(Object.entries(deps).map(([name, d]) => [name, d?.condition ?? 'service_started']));
}

const argv = (cmd: string | string[] | undefined): string[] =>
  Array.isArray(cmd) ? cmd : (cmd ?? '').split(/\s+/).filter(Boolean);

/** The variable names config.ts parses: the keys of its `envSchema` object. */
function variablesConfigReads(): Set<string> {
  const source = read('internal/config/config.ts');
  const start = source.indexOf('const envSchema = z.object({');
  const end = source.indexOf('\n});', start);
  expect(start, 'internal/config/config.ts no longer declares `const envSchema = z.object({`').toBeGreaterThan(-1);
  return new Set([...source.slice(start, end).matchAll(/^\s{2}([A-Z][A-Z0-9_]*):/gm)].map((m) => m[1]!));
}

const APPS = {
  api: 'apps/api/main.ts',
  worker: 'apps/worker/main.ts',
  simulator: 'apps/simulator/main.ts',
} as const;

/** Where `npm run build` (tsconfig.build.json: rootDir `.`, outDir `dist`) writes a source file's JavaScript. */
const compiled = (source: string) => `dist/${source.replace(/\.ts$/, '.js')}`;

describe('docker-compose.yml', () => {
  it('declares the whole distributed deployment', () => {
    expect(Object.keys(services).sort()).toEqual(
      expect.arrayContaining(['api', 'kafka', 'osrm', 'osrm-prepare', 'postgres', 'redis', 'simulator', 'worker']),
    );
    expect(services.postgres!.image).toMatch(/^postgres:\d+/);
    expect(services.redis!.image).toMatch(/^redis:\d+/);
  });

  it('runs Kafka as a single KRaft node whose listeners are consistent', () => {
    const kafka = services.kafka!;
    expect(kafka.image).toMatch(/^apache\/kafka:\d+\.\d+/);
    const env = envOf(kafka);
    expect(
      env.KAFKA_PROCESS_ROLES?.split(',')
        .map((r) => r.trim())
        .sort(),
    ).toEqual(['broker', 'controller']);
    expect(env.KAFKA_NODE_ID).toMatch(/^\d+$/);
    expect(env.KAFKA_CONTROLLER_QUORUM_VOTERS).toBe(`${env.KAFKA_NODE_ID}@kafka:9093`);
    expect(env).not.toHaveProperty('KAFKA_ZOOKEEPER_CONNECT');

    const names = (list: string | undefined) =>
      (list ?? '')
        .split(',')
        .map((l) => l.trim().split('://')[0]!)
        .filter(Boolean);
    const listeners = names(env.KAFKA_LISTENERS);
    const protocolMap = new Map(
      (env.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP ?? '').split(',').map((p) => p.trim().split(':') as [string, string]),
    );
    expect(listeners).toContain(env.KAFKA_CONTROLLER_LISTENER_NAMES);
    for (const name of [...listeners, ...names(env.KAFKA_ADVERTISED_LISTENERS)]) {
      expect(protocolMap.has(name), `listener ${name} has no entry in KAFKA_LISTENER_SECURITY_PROTOCOL_MAP`).toBe(true);
    }
    for (const name of names(env.KAFKA_ADVERTISED_LISTENERS))
      expect(listeners, `advertised listener ${name}`).toContain(name);
    // The controller is never advertised to clients, and single-node internal topics need replication factor 1.
    expect(names(env.KAFKA_ADVERTISED_LISTENERS)).not.toContain(env.KAFKA_CONTROLLER_LISTENER_NAMES);
    expect(env.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR).toBe('1');
    expect(env.KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR).toBe('1');
  });

  it('prepares OSRM data once (MLD) before osrm-routed serves it', () => {
    const prepare = argv(services['osrm-prepare']!.command).join('\n');
    for (const step of ['osrm-extract', 'osrm-partition', 'osrm-customize']) expect(prepare).toContain(step);
    const osrm = services.osrm!;
    expect(argv(osrm.command)).toEqual(expect.arrayContaining(['osrm-routed', '--algorithm', 'mld']));
    expect(dependsOn(osrm)).toMatchObject({ 'osrm-prepare': 'service_completed_successfully' });
    expect(services['osrm-prepare']!.restart).toBe('no');
  });

  it.each(Object.entries(APPS))('%s builds from the Dockerfile and starts %s, which exists', (name, entry) => {
    const service = services[name]!;
    const build = typeof service.build === 'string' ? { context: service.build } : service.build;
    expect(build, `${name} has no build`).toBeDefined();
    const dockerfile = join(ROOT, build!.context ?? '.', build!.dockerfile ?? 'Dockerfile');
    expect(existsSync(dockerfile), `${relative(ROOT, dockerfile)} is missing`).toBe(true);
    expect(resolve(dockerfile)).toBe(join(ROOT, 'Dockerfile'));

    const cmd = argv(service.command);
    // `node dist/…/main.js`: the image runs the JavaScript `npm run build` compiled from the entry's source.
    expect(cmd.slice(0, 2)).toEqual(['node', compiled(entry)]);
    expect(statSync(join(ROOT, entry)).isFile()).toBe(true);
  });

  it('every depends_on names a service, and every health condition a service with a healthcheck', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const [target, condition] of Object.entries(dependsOn(service))) {
        expect(services, `${name} depends on unknown service ${target}`).toHaveProperty([target]);
        expect(['service_started', 'service_healthy', 'service_completed_successfully']).toContain(condition);
        if (condition === 'service_healthy')
          expect(services[target]!.healthcheck?.test, `${name} waits for ${target} to be healthy`).toBeDefined();
      }
    }
  });

  it.each(['postgres', 'redis', 'kafka', 'osrm', 'api'])('%s has a healthcheck', (name) => {
    const check = services[name]!.healthcheck;
    expect(check?.disable).not.toBe(true);
    const test = argv(check?.test);
    expect(['CMD', 'CMD-SHELL']).toContain(test[0]);
    expect(test.length).toBeGreaterThan(1);
  });

  it.each(['api', 'worker'])('%s is restarted should it ever exit', (name) => {
    expect(services[name]!.restart).toBe('unless-stopped');
  });

  it('the api and worker start only once their servers are healthy, the simulator once the api is', () => {
    for (const name of ['api', 'worker']) {
      const deps = dependsOn(services[name]!);
      const transitive = new Set<string>();
      const visit = (s: string) => {
        for (const [t, condition] of Object.entries(dependsOn(services[s]!))) {
          expect(condition, `${s} → ${t}`).not.toBe('service_started');
          if (!transitive.has(t)) {
            transitive.add(t);
            visit(t);
          }
        }
      };
      visit(name);
      expect([...transitive], `${name} (directly: ${Object.keys(deps).join(', ')})`).toEqual(
        expect.arrayContaining(['postgres', 'redis', 'kafka', 'osrm']),
      );
    }
    expect(dependsOn(services.simulator!)).toMatchObject({ api: 'service_healthy' });
  });

  it.each(['api', 'worker'])(
    '%s: every variable is one config.ts reads, and it selects the compose servers',
    (name) => {
      const env = envOf(services[name]!);
      const known = variablesConfigReads();
      for (const variable of Object.keys(env))
        expect(known, `${name}: ${variable} is not read by internal/config/config.ts`).toContain(variable);

      const config = loadConfig(env);
      const postgres = envOf(services.postgres!);
      const db = new URL(config.databaseUrl ?? 'postgres://missing');
      expect(db.hostname).toBe('postgres');
      expect(db.port || '5432').toBe('5432');
      expect(decodeURIComponent(db.username)).toBe(postgres.POSTGRES_USER);
      expect(decodeURIComponent(db.password)).toBe(postgres.POSTGRES_PASSWORD);
      expect(db.pathname).toBe(`/${postgres.POSTGRES_DB}`);

      const redis = new URL(config.redisUrl ?? 'redis://missing');
      expect([redis.hostname, redis.port || '6379']).toEqual(['redis', '6379']);

      // The brokers the apps dial must be the address the broker advertises inside the compose network.
      expect(config.kafkaBrokers).toEqual(['kafka:9092']);
      expect(
        envOf(services.kafka!)
          .KAFKA_ADVERTISED_LISTENERS?.split(',')
          .map((l) => l.split('://')[1]),
      ).toContain('kafka:9092');

      const osrm = new URL(config.osrmUrl ?? 'http://missing');
      expect(osrm.hostname).toBe('osrm');
      const routedPort = (() => {
        const cmd = argv(services.osrm!.command);
        const i = cmd.indexOf('--port');
        return i === -1 ? '5000' : cmd[i + 1]; // osrm-routed listens on 5000 unless told otherwise
      })();
      expect(osrm.port).toBe(routedPort);
      // Traces go to the jaeger service's OTLP/HTTP receiver.
      const traces = new URL(config.tracing.tracesUrl ?? 'http://missing');
      expect([traces.hostname, traces.port, traces.pathname]).toEqual(['jaeger', '4318', '/v1/traces']);
      expect(services.jaeger!.image).toMatch(/^jaegertracing\/all-in-one:\d+\.\d+/);
    },
  );

  it('the simulator drives the api on the port the api listens on, with flags the simulator accepts', () => {
    const apiPort = loadConfig(envOf(services.api!)).http.port;
    const cmd = argv(services.simulator!.command);
    const options = parseSimulatorArgs(cmd.slice(2));
    expect(new URL(options.api).hostname).toBe('api');
    expect(Number(new URL(options.api).port)).toBe(apiPort);
    // The api's healthcheck asks the same port.
    expect(argv(services.api!.healthcheck!.test).join(' ')).toContain(`127.0.0.1:${apiPort}/health`);
    // With the default dataset (OSRM_DATASET unset → monaco) the city must lie inside the extract, or every route
    // would fall back to straight lines. The Monaco extract's bounds, padded a little:
    const dataset = /\$\{OSRM_DATASET:-([^}]+)\}/.exec(argv(services.osrm!.command).join(' '))?.[1];
    expect(dataset).toBe('monaco');
    expect(options.center.lat).toBeGreaterThan(43.72);
    expect(options.center.lat).toBeLessThan(43.76);
    expect(options.center.lon).toBeGreaterThan(7.4);
    expect(options.center.lon).toBeLessThan(7.45);
    // The simulator reads flags and only OPERATOR_KEY from the environment: no service URLs belong there. It acts with
    // the very key the api registers.
    for (const variable of ['DATABASE_URL', 'REDIS_URL', 'KAFKA_BROKERS', 'OSRM_URL'])
      expect(envOf(services.simulator!)).not.toHaveProperty(variable);
    expect(envOf(services.simulator!).OPERATOR_KEY).toBe(envOf(services.api!).OPERATOR_KEY);
    expect(parseSimulatorArgs(cmd.slice(2), envOf(services.simulator!)).key).toBe(SHELL.OPERATOR_KEY);
  });

  it('publishes no host port twice, and none that `npm run infra:up` already uses', () => {
    const infraPorts = ['5432', '6379', '9092', '9093'];
    const host = Object.entries(services).flatMap(([name, s]) =>
      (s.ports ?? []).map((p) => {
        const parts = String(p).split(':');
        return { name, port: parts.length >= 2 ? parts[parts.length - 2]! : parts[0]! };
      }),
    );
    const seen = new Set<string>();
    for (const { name, port } of host) {
      expect(seen.has(port), `host port ${port} published twice`).toBe(false);
      seen.add(port);
      expect(infraPorts, `${name} publishes host port ${port}, which the test infrastructure listens on`).not.toContain(
        port,
      );
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Prometheus and Grafana

/** Every non-test TypeScript file under `dir`. */
function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => join(dir, f));
}

/** The metric names a PromQL expression reads (histogram series suffixes stripped). */
function metricsIn(expr: string): string[] {
  const bare = expr.replace(/\{[^}]*\}/g, '').replace(/\b(by|without)\s*\([^)]*\)/g, '');
  return [...bare.matchAll(/\b([a-z][a-z0-9]*(?:_[a-z0-9]+)+)\b/g)]
    .map((m) => m[1]!)
    .filter((name) => name !== 'histogram_quantile')
    .map((name) => name.replace(/_(bucket|count|sum)$/, ''));
}

describe('docker-compose.yml: prometheus and grafana', () => {
  const promConfig = parse(read('ops/prometheus/prometheus.yml')) as {
    scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
  };

  it('prometheus mounts the repository config, which scrapes the api on its HTTP port and the worker on WORKER_METRICS_PORT', () => {
    const prometheus = services.prometheus!;
    expect(prometheus.image).toMatch(/^prom\/prometheus:v2\./);
    const mounts = (prometheus as { volumes?: string[] }).volumes ?? [];
    expect(mounts).toContain('./ops/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro');
    const targets = Object.fromEntries(
      promConfig.scrape_configs.map((c) => [c.job_name, c.static_configs[0]!.targets]),
    );
    const apiPort = loadConfig(envOf(services.api!)).http.port;
    const workerConfig = loadConfig(envOf(services.worker!));
    expect(targets.api).toEqual([`api:${apiPort}`]);
    expect(workerConfig.workerMetricsPort).toBeDefined();
    expect(['0.0.0.0', '::', ''], 'the worker must listen beyond its own container').toContain(workerConfig.http.host);
    expect(targets.worker).toEqual([`worker:${workerConfig.workerMetricsPort}`]);
  });

  it('grafana is provisioned with the Prometheus data source and the dashboard from the repository', () => {
    const grafana = services.grafana!;
    const mounts = (grafana as { volumes?: string[] }).volumes ?? [];
    for (const mount of mounts) expect(existsSync(join(ROOT, mount.split(':')[0]!)), mount).toBe(true);
    const datasources = parse(read('ops/grafana/provisioning/datasources/prometheus.yml')) as {
      datasources: Array<{ uid: string; url: string }>;
    };
    expect(datasources.datasources[0]!.url).toBe('http://prometheus:9090');
    const provider = parse(read('ops/grafana/provisioning/dashboards/deliverygo.yml')) as {
      providers: Array<{ options: { path: string } }>;
    };
    expect(mounts).toContain(`./ops/grafana/dashboards:${provider.providers[0]!.options.path}:ro`);
    expect(dependsOn(grafana)).toHaveProperty('prometheus');
  });

  it('every metric the dashboard queries is defined in the code, and the dashboard covers rates, latencies, SLA, lag, backlog and riders', () => {
    const dashboard = JSON.parse(read('ops/grafana/dashboards/deliverygo.json')) as {
      panels: Array<{ title: string; targets: Array<{ expr: string; datasource: { uid: string } }> }>;
    };
    const code = [...sourceFiles('internal'), ...sourceFiles('apps')].map(read).join('\n');
    const queried = new Set(dashboard.panels.flatMap((p) => p.targets.flatMap((t) => metricsIn(t.expr))));
    expect(queried.size).toBeGreaterThan(10);
    for (const name of queried)
      expect(code, `the dashboard queries ${name}, which no code defines`).toContain(`'${name}'`);
    for (const name of [
      'http_request_duration_seconds',
      'eventbus_handled_total',
      'dispatch_ready_to_assigned_seconds',
      'eventbus_consumer_lag_messages',
      'outbox_backlog_messages',
      'dispatch_riders',
    ])
      expect(queried, `the dashboard shows ${name}`).toContain(name);
    const uids = new Set(dashboard.panels.flatMap((p) => p.targets.map((t) => t.datasource.uid)));
    expect([...uids]).toEqual(['prometheus']);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Dockerfile

/** One `FROM` stage of the Dockerfile: its name, the repository paths it COPYs in, and its other instructions. */
interface Stage {
  name: string | undefined;
  copied: string[];
  /** `COPY --from=STAGE SRC DEST` lines, as [stage, src]. */
  copiedFrom: Array<[string, string]>;
  lines: string[];
}

function dockerStages(): Stage[] {
  const stages: Stage[] = [];
  for (const line of read('Dockerfile').replace(/\\\n/g, ' ').split('\n')) {
    const from = /^\s*FROM\s+\S+(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) {
      stages.push({ name: from[1], copied: [], copiedFrom: [], lines: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage || /^\s*(#|$)/.test(line)) continue;
    stage.lines.push(line.trim());
    const m = /^\s*COPY\s+(.*)$/i.exec(line);
    if (!m) continue;
    const source = /--from=(\S+)/.exec(m[1]!)?.[1];
    const words = m[1]!
      .trim()
      .split(/\s+/)
      .filter((w) => !w.startsWith('--'));
    if (source) stage.copiedFrom.push([source, words[0]!]);
    else stage.copied.push(...words.slice(0, -1).map((w) => w.replace(/\/$/, '')));
  }
  return stages;
}
function dockerIgnored(): string[] {
  return existsSync(join(ROOT, '.dockerignore'))
    ? read('.dockerignore')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('#'))
    : [];
}

const SPECIFIERS =
  /(?:^|[\s;])(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s*)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

/**
 * Every repository file an entrypoint loads (relative imports, followed transitively) and every package it imports
 * at run time (`import type` is erased, so it does not count).
 */
function importGraph(entries: string[]): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const builtins = new Set(builtinModules);
  const queue = entries.map((e) => join(ROOT, e));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    const source = readFileSync(file, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    for (const m of source.matchAll(SPECIFIERS)) {
      const typeOnly = m[2] !== undefined;
      const spec = m[3] ?? m[4]!;
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec);
        expect(existsSync(target), `${relative(ROOT, file)} imports ${spec}, which does not exist`).toBe(true);
        if (/\.(ts|js|mjs)$/.test(target)) queue.push(target);
        else files.add(target); // JSON and the like
      } else if (!typeOnly && !spec.startsWith('node:') && !builtins.has(spec)) {
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
      }
    }
  }
  return { files, packages };
}

describe('Dockerfile', () => {
  const stages = dockerStages();
  const build = stages.find((s) => s.name === 'build');
  const runtime = stages.at(-1)!;
  const within = (copied: string[]) => (absolute: string) => {
    const rel = relative(ROOT, absolute).split(sep).join('/');
    return copied.some((c) => rel === c || rel.startsWith(`${c}/`));
  };

  it('compiles dist/ in a build stage and runs it with production dependencies only (no tsx, no yaml)', () => {
    expect(build, 'no `FROM … AS build` stage').toBeDefined();
    expect(build!.copied).toEqual(
      expect.arrayContaining(['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']),
    );
    expect(build!.lines).toEqual(expect.arrayContaining([expect.stringMatching(/^RUN npm ci\b/), 'RUN npm run build']));

    expect(runtime).not.toBe(build);
    expect(runtime.copied).toEqual(expect.arrayContaining(['package.json', 'package-lock.json']));
    expect(runtime.lines).toEqual(expect.arrayContaining([expect.stringMatching(/^RUN npm ci\b.*--omit=dev/)]));
    expect(runtime.copiedFrom).toContainEqual(['build', '/app/dist']);
    // No TypeScript in the runtime image: only what the compiled code reads from disk.
    expect(runtime.copied).not.toEqual(expect.arrayContaining(['apps']));
    expect(runtime.copied).not.toEqual(expect.arrayContaining(['internal']));
    const cmd = JSON.parse(/^CMD\s+(\[.*\])$/m.exec(runtime.lines.join('\n'))?.[1] ?? '[]') as string[];
    expect(cmd).toEqual(['node', compiled(APPS.api)]);

    const pkg = JSON.parse(read('package.json')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
      scripts: Record<string, string>;
    };
    for (const tool of ['tsx', 'yaml', 'typescript']) {
      expect(Object.keys(pkg.dependencies)).not.toContain(tool);
      expect(Object.keys(pkg.devDependencies)).toContain(tool);
    }
    expect(pkg.scripts.build).toContain('tsc -p tsconfig.build.json');
    for (const [script, entry] of [
      ['api', APPS.api],
      ['worker', APPS.worker],
      ['simulator', APPS.simulator],
      ['start', 'apps/all/main.ts'],
    ]) {
      expect(pkg.scripts[script!], `npm run ${script}`).toBe(`node ${compiled(entry!)}`);
    }
  });

  it('compiles every file the api, worker and simulator import, and every package they import is a production dependency', () => {
    const { files, packages } = importGraph(Object.values(APPS));
    const missing = [...files].filter((f) => !within(build!.copied)(f)).map((f) => relative(ROOT, f));
    expect(missing, `not COPY'd into the build stage (it COPYs: ${build!.copied.join(', ')})`).toEqual([]);
    const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
    const dev = [...packages].filter((p) => !(p in pkg.dependencies));
    expect(dev, 'imported at run time but not in "dependencies" (npm ci --omit=dev leaves them out)').toEqual([]);
    // Sanity: the graph really was followed.
    expect(files.size).toBeGreaterThan(50);
    expect(packages).toContain('hono');
  });

  it("contains the files the processes read from disk: the map page (web/), the SQL migrations and the demo city's roads", () => {
    const runtimeFiles = [
      ...Object.values(MAP_ASSETS).map((a) => a.file),
      join(dirname(MAP_ASSETS['map.js']!.file), 'map.html'),
      MIGRATIONS_DIR,
      roadGraphPath(undefined),
      roadLayerPath(undefined),
    ];
    for (const file of runtimeFiles) {
      expect(existsSync(file), `${file} is missing from the repository`).toBe(true);
      // Leaflet comes from node_modules, which `npm ci` fills inside the image.
      if (file.includes(`${sep}node_modules${sep}`)) continue;
      expect(
        within(runtime.copied)(file),
        `${relative(ROOT, file)} is read at run time but not COPY'd into the runtime image`,
      ).toBe(true);
    }
    const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies)).toEqual(expect.arrayContaining(['leaflet', 'swagger-ui-dist']));
  });

  it('.dockerignore keeps out node_modules and dist/ and leaves in everything COPY needs', () => {
    const ignored = dockerIgnored();
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist']));
    for (const path of stages.flatMap((s) => s.copied)) {
      expect(ignored, `${path} is COPY'd but .dockerignore excludes it`).not.toContain(path);
      expect(existsSync(join(ROOT, path)), `Dockerfile COPYs ${path}, which does not exist`).toBe(true);
    }
  });
});
