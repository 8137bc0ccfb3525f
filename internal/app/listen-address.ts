import { createServer } from 'node:net';

/** Where a server listens (or asked to): `config.http`, or what `server.address()` answered. */
export interface ListenAddress {
  host: string;
  port: number;
}

const ALL_INTERFACES = new Set(['0.0.0.0', '::', '']);

/**
 * Tries to bind `address` and lets go at once, so a taken port is reported before the slow part of start-up (PGlite,
 * migrations, Kafka) instead of after it. Resolves with the bind error, or undefined when the address is free. Port 0
 * (any free port) is always free. Another process may still take the port in between: the real bind's error is
 * reported the same way (`listenFailureMessage`).
 */
export function probeListen(address: ListenAddress): Promise<NodeJS.ErrnoException | undefined> {
  if (address.port === 0) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error));
    server.listen({ port: address.port, host: address.host, exclusive: true }, () =>
      server.close(() => resolve(undefined)),
    );
  });
}

/**
 * The one plain line for an operator when `address` cannot be bound (port taken, privileged port, a HOST that is not
 * this machine's), naming the variable to change (`portVariable`, PORT unless it is the worker's metrics port) and
 * `command` to run again; undefined for any other error. Without `address`, the one the bind error names.
 */
export function listenFailureMessage(
  error: unknown,
  address: ListenAddress | undefined,
  command: string,
  portVariable = 'PORT',
): string | undefined {
  const e = error as (NodeJS.ErrnoException & { address?: string; port?: number }) | undefined;
  const code = e?.code;
  address ??= { host: e?.address ?? '?', port: e?.port ?? 0 };
  const where = `${displayHost(address.host)}:${address.port}`;
  const other = address.port > 0 && address.port < 65_535 ? address.port + 1 : 8000;
  switch (code) {
    case 'EADDRINUSE':
      return `deliverygo: port ${address.port} is already in use (${where}) — stop the process holding it, or pick another port: ${portVariable}=${other} ${command}`;
    case 'EACCES':
      return `deliverygo: not allowed to listen on port ${address.port} (${where}) — ports below 1024 need privileges; pick another port: ${portVariable}=${other} ${command}`;
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `deliverygo: cannot listen on ${where}: ${address.host} is not an address of this machine — set HOST (e.g. HOST=127.0.0.1 ${command})`;
    default:
      return undefined;
  }
}

/**
 * Checks `address` before a slow start-up; when it cannot be bound, prints `listenFailureMessage` on stderr and exits 2
 * (an operator's mistake, not a crash: no log line, no stack trace).
 */
export async function exitUnlessListenable(
  address: ListenAddress,
  command: string,
  portVariable = 'PORT',
): Promise<void> {
  const error = await probeListen(address);
  if (!error) return;
  const message = listenFailureMessage(error, address, command, portVariable);
  if (!message) return; // something unexpected: let the real bind report it
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

/**
 * The base URL a person (or the in-process simulator) reaches a bound server at, and where it listens, in words. A
 * server on all interfaces is reached through the loopback address, and the words say it is open to the network.
 */
export function describeBound(bound: ListenAddress): { url: string; scope: string } {
  if (ALL_INTERFACES.has(bound.host)) {
    return {
      url: `http://127.0.0.1:${bound.port}`,
      scope: `all interfaces (HOST=${bound.host || '0.0.0.0'}), port ${bound.port}`,
    };
  }
  const loopback = bound.host === '127.0.0.1' || bound.host === '::1' || bound.host === 'localhost';
  return {
    url: `http://${displayHost(bound.host)}:${bound.port}`,
    scope: `${bound.host}, port ${bound.port}${loopback ? ' (this machine only; HOST=0.0.0.0 opens it to the network)' : ''}`,
  };
}

function displayHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
