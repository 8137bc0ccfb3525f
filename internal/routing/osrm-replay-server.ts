import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Test and benchmark support: an HTTP server on 127.0.0.1 that answers like the osrm-routed that produced
 * `../shared/osrm/responses/*.json` — each recorded request path gets its recorded status and body, nothing else.
 *
 * A request with no recording gets HTTP 404 `{code: "ReplayMiss"}` (and is listed in `misses`), so a test that strays
 * from the recordings fails with a clear message instead of receiving an invented answer. The only synthetic
 * behaviour is the explicit fault injection (5xx, reset connection, delay), for the failure cases no server recorded.
 *
 * Like the real server it closes keep-alive connections after 512 requests or 5 s idle.
 */
export interface Recording {
  name: string;
  note?: string;
  request: { method: string; path: string };
  response: { status: number; body: unknown };
}

export type Fault =
  | { kind: 'status'; status: number }
  /** Destroys the socket without answering (what a server restart or a closed keep-alive looks like). */
  | { kind: 'reset' }
  /** Answers normally after `ms`; `Infinity` never answers. */
  | { kind: 'delay'; ms: number };

export interface ReplayServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Every request path received, in order. */
  readonly requests: string[];
  /** Request paths that had no recording. */
  readonly misses: string[];
  /** TCP connections accepted so far. */
  readonly connections: number;
  /** Faults applied to the next requests, one each, before normal replay resumes. */
  injectFaults(...faults: Fault[]): void;
  /** A fault applied to every request until set to `null`. */
  setFault(fault: Fault | null): void;
  close(): Promise<void>;
}

/** `../shared/osrm/responses` beside the project root. */
export function defaultRecordingsDir(): string {
  return fileURLToPath(new URL('../../../shared/osrm/responses', import.meta.url));
}

/** Reads every recording in `dir` (all `*.json` but `index.json`). */
export async function loadRecordings(dir: string = defaultRecordingsDir()): Promise<Recording[]> {
  if (!existsSync(dir)) {
    throw new Error(
      `recorded OSRM responses not found at ${dir}: the project must sit beside ../shared (see ../shared/osrm/README.md)`,
    );
  }
  const names = (await readdir(dir)).filter((f) => f.endsWith('.json') && f !== 'index.json').sort();
  return Promise.all(names.map(async (f) => JSON.parse(await readFile(join(dir, f), 'utf8')) as Recording));
}

/** OSRM parameters whose value is the default; a request with or without them gets the same answer. */
const DEFAULT_PARAMS = new Map([
  ['steps', 'false'],
  ['alternatives', 'false'],
]);

/**
 * The coordinates of `/service/v1/profile/lon,lat;lon,lat` as numbers, as OSRM parses them: `7.4380` and `7.438` are
 * one coordinate (a recording may carry trailing zeros a client does not send). Anything not numeric stays as is.
 */
function canonicalCoordinates(path: string): string {
  const parts = path.split('/');
  if (parts.length !== 5) return path;
  parts[4] = parts[4]!
    .split(';')
    .map((pair) =>
      pair
        .split(',')
        .map((n) => (/^-?\d+(\.\d+)?$/.test(n) ? String(Number(n)) : n))
        .join(','),
    )
    .join(';');
  return parts.join('/');
}

/**
 * Canonical form of an OSRM request path for matching: the path (coordinates as numbers) plus its parameters sorted
 * by name, without the ones set to OSRM's defaults (the recordings ask `steps=false` in one place and omit it in
 * another). Parameter values are compared raw, as OSRM reads them (`;` and `,` unescaped).
 */
export function canonicalOsrmPath(rawPath: string): string {
  const q0 = rawPath.indexOf('?');
  const path = q0 < 0 ? canonicalCoordinates(rawPath) : canonicalCoordinates(rawPath.slice(0, q0)) + rawPath.slice(q0);
  const q = path.indexOf('?');
  if (q < 0) return path;
  const params = path
    .slice(q + 1)
    .split('&')
    .filter((kv) => kv !== '')
    .filter((kv) => {
      const [name, value] = kv.split('=', 2);
      return DEFAULT_PARAMS.get(name!) !== value;
    })
    .sort();
  return params.length === 0 ? path.slice(0, q) : `${path.slice(0, q)}?${params.join('&')}`;
}

interface Answer {
  status: number;
  body: string;
}

/** Starts a replay server on 127.0.0.1 with an OS-chosen port. */
export async function startOsrmReplayServer(options: { dir?: string } = {}): Promise<ReplayServer> {
  const answers = new Map<string, Answer>();
  for (const r of await loadRecordings(options.dir)) {
    answers.set(`${r.request.method} ${canonicalOsrmPath(r.request.path)}`, {
      status: r.response.status,
      body: JSON.stringify(r.response.body),
    });
  }
  const requests: string[] = [];
  const misses: string[] = [];
  const queued: Fault[] = [];
  let standing: Fault | null = null;
  let connections = 0;

  const reply = (req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/';
    const answer = answers.get(`${req.method} ${canonicalOsrmPath(path)}`);
    if (answer === undefined) {
      misses.push(path);
      res.writeHead(404, { 'content-type': 'application/json; charset=UTF-8' });
      res.end(JSON.stringify({ code: 'ReplayMiss', message: `no recorded response for ${req.method} ${path}` }));
      return;
    }
    res.writeHead(answer.status, { 'content-type': 'application/json; charset=UTF-8' });
    res.end(answer.body);
  };

  const server = createServer((req, res) => {
    requests.push(req.url ?? '/');
    const fault = queued.shift() ?? standing;
    if (fault === null) return reply(req, res);
    switch (fault.kind) {
      case 'status':
        res.writeHead(fault.status, { 'content-type': 'text/plain' });
        res.end(`synthetic HTTP ${fault.status}`);
        return;
      case 'reset':
        req.socket.destroy();
        return;
      case 'delay':
        if (Number.isFinite(fault.ms)) setTimeout(() => reply(req, res), fault.ms).unref();
        return;
    }
  });
  server.keepAliveTimeout = 5000;
  server.maxRequestsPerSocket = 512;
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    misses,
    get connections() {
      return connections;
    },
    injectFaults: (...faults) => void queued.push(...faults),
    setFault: (fault) => {
      standing = fault;
    },
    close: () =>
      new Promise<void>((ok, fail) => {
        server.close((err) => (err ? fail(err) : ok()));
        server.closeAllConnections();
      }),
  };
}
