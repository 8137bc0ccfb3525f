import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { describeBound, listenFailureMessage, probeListen } from './listen-address.ts';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A server holding a free port of 127.0.0.1. */
async function holdPort(): Promise<number> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

describe('probeListen', () => {
  it('reports a taken port as EADDRINUSE, and a free one (or port 0) as free', async () => {
    const port = await holdPort();
    expect((await probeListen({ host: '127.0.0.1', port }))?.code).toBe('EADDRINUSE');
    expect(await probeListen({ host: '127.0.0.1', port: 0 })).toBeUndefined();
    // A probe lets go of the port: probing a free port twice finds it free both times.
    const free = await holdPort();
    await new Promise((r) => servers.pop()!.close(r));
    expect(await probeListen({ host: '127.0.0.1', port: free })).toBeUndefined();
    expect(await probeListen({ host: '127.0.0.1', port: free })).toBeUndefined();
  });
});

describe('listenFailureMessage', () => {
  it('says in one line that the port is taken, naming PORT and the command to run again', async () => {
    const port = await holdPort();
    const error = await probeListen({ host: '127.0.0.1', port });
    const line = listenFailureMessage(error, { host: '127.0.0.1', port }, 'npm start');
    expect(line).toContain(`port ${port} is already in use (127.0.0.1:${port})`);
    expect(line).toContain(`pick another port: PORT=${port + 1} npm start`);
    expect(line).not.toContain('\n');
    // Without an address, the one the bind error carries; the worker's metrics port names its own variable.
    expect(
      listenFailureMessage(
        Object.assign(new Error('x'), { code: 'EADDRINUSE', address: '::', port: 8000 }),
        undefined,
        'npm run worker',
        'WORKER_METRICS_PORT',
      ),
    ).toBe(
      'deliverygo: port 8000 is already in use ([::]:8000) — stop the process holding it, or pick another port: WORKER_METRICS_PORT=8001 npm run worker',
    );
  });

  it('names HOST when the address is not this machine, and leaves other errors to the log', () => {
    const notOurs = Object.assign(new Error('x'), { code: 'EADDRNOTAVAIL' });
    expect(listenFailureMessage(notOurs, { host: '10.9.9.9', port: 8000 }, 'npm run api')).toContain('set HOST');
    expect(listenFailureMessage(new Error('boom'), { host: '127.0.0.1', port: 8000 }, 'npm start')).toBeUndefined();
  });
});

describe('describeBound', () => {
  it('prints the address actually bound, and says when that is every interface', () => {
    expect(describeBound({ host: '127.0.0.1', port: 8000 })).toEqual({
      url: 'http://127.0.0.1:8000',
      scope: '127.0.0.1, port 8000 (this machine only; HOST=0.0.0.0 opens it to the network)',
    });
    expect(describeBound({ host: '0.0.0.0', port: 8000 })).toEqual({
      url: 'http://127.0.0.1:8000',
      scope: 'all interfaces (HOST=0.0.0.0), port 8000',
    });
    expect(describeBound({ host: '::1', port: 9000 }).url).toBe('http://[::1]:9000');
    expect(describeBound({ host: '192.168.1.5', port: 9000 })).toEqual({
      url: 'http://192.168.1.5:9000',
      scope: '192.168.1.5, port 9000',
    });
  });
});
