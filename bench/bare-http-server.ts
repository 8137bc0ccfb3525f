/**
 * The baseline server of the HTTP benchmarks: bare node:http, nothing else. It reads the whole request body, parses
 * it as JSON and answers 201 with a small JSON body (a new id beside the fields it was sent), so a request costs what
 * any JSON API on this machine must pay — the TCP and HTTP work, one parse, one serialisation — and nothing more.
 * A benchmark drives it with the same generator as the real API and reports the ratio.
 *
 * Run in its own process (never in the load generator's): `node --import tsx bench/bare-http-server.ts`. It listens
 * on a free port of 127.0.0.1 and prints `listening <port>` once on stdout; SIGTERM ends it.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    let body: unknown;
    try {
      body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"bad json"}');
      return;
    }
    const answer = JSON.stringify({ id: randomUUID(), status: 'placed', ...(body as object) });
    res.writeHead(201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
    res.end(answer);
  });
});
// Same keep-alive behaviour as the API's server (@hono/node-server over node:http defaults).
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
