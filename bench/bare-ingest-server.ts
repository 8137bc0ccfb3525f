/**
 * The ingest benchmark's baseline: a bare node:http server, in a process of its own as the API is, that reads each
 * request's body, parses it as JSON and answers 202 with a small JSON body — what any Node JSON API costs on this
 * machine (TCP, HTTP, one parse, one serialisation), before validation, authentication, Redis or Kafka. The benchmark
 * drives it with the same wrk script and connections as the API, alternating with it (bench/telemetry.bench.ts), so
 * the API's figures can be read as a ratio that does not move with the machine.
 *
 * Run: `node --import tsx bench/bare-ingest-server.ts` — listens on a free port of 127.0.0.1 and prints
 * `LISTENING <port>` on stdout; SIGTERM stops it.
 */
import { createServer } from 'node:http';
import { serveForBenchmark } from './side-server.ts';

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"bad json"}');
      return;
    }
    // The size and shape of the API's single-ping 202 (a bulk post's is a little longer; this stays small).
    const answer = JSON.stringify({
      status: 'accepted',
      fields: typeof parsed === 'object' && parsed !== null ? Object.keys(parsed).length : 0,
    });
    res.writeHead(202, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
    res.end(answer);
  });
});
serveForBenchmark(server);
