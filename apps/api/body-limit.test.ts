import { createPrincipalResolver } from '../../internal/auth/principal-resolver.ts';
import { mintToken } from '../../internal/auth/token.ts';
import { request, createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../internal/platform/logger.ts';
import type { TelemetryService } from '../../internal/telemetry/telemetry-service.ts';
import { createApiApp } from './app.ts';
import { MAX_REQUEST_BODY_BYTES } from './error-handler.ts';
import { withIngestLane } from './ingest-lane.ts';
import { OPENAPI_OBJECT_CONFIG } from './openapi-config.ts';
import { withOrderLane } from './order-lane.ts';
import type { ApiServices } from './services.ts';

/**
 * The body limit on every operation that takes a body, found by walking the OpenAPI document (a new route is covered
 * without touching this file), over a real socket through the listener compose.ts serves (the ingest and order lanes in
 * front of Hono): a body over MAX_REQUEST_BODY_BYTES answers 413 `request.payload_too_large`, whether it announces its size
 * (`Content-Length`) or not (`Transfer-Encoding: chunked`), and nothing behind the limit ever sees it.
 */

/** A telemetry service and domain services that fail the test if a lane ever hands them a body. */
const touched: string[] = [];
const telemetry = new Proxy({} as TelemetryService, {
  get: (_, name) => () => {
    touched.push(String(name));
    throw new Error(`telemetry.${String(name)} reached`);
  },
});
const services = new Proxy({} as ApiServices, {
  get: (_, area) => {
    touched.push(String(area));
    throw new Error(`services.${String(area)} reached`);
  },
});

let server: Server;
let port: number;
/** The caller is an operator (authenticated before any body is read: without it every answer would be a 401). */
const OPERATOR = mintToken('operator');
const auth = createPrincipalResolver({
  lookup: async (token) => (token === OPERATOR ? { kind: 'operator' } : null),
});
const app = createApiApp({ logger: silentLogger, healthChecks: [], metrics: new Registry(), telemetry, auth });

beforeAll(async () => {
  const lanes = { logger: silentLogger, metrics: new Registry(), auth };
  server = createServer(
    withIngestLane({ ...lanes, telemetry }, withOrderLane({ ...lanes, services }, getRequestListener(app.fetch))),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

/** Every operation with a request body: method and a concrete path (path parameters filled with a UUID). */
function operationsWithBody(): Array<{ method: string; path: string }> {
  const document = app.getOpenAPI31Document(OPENAPI_OBJECT_CONFIG) as unknown as {
    paths: Record<string, Record<string, { requestBody?: unknown }>>;
  };
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([, operation]) => operation?.requestBody !== undefined)
      .map(([method]) => ({
        method: method.toUpperCase(),
        path: path.replace(/\{[^}]+\}/g, '0f8fad5b-d9cb-469f-a165-70867728950e'),
      })),
  );
}

/** A JSON body of `size` bytes: valid JSON, so only its size can be refused. */
const jsonOfSize = (size: number) => Buffer.from(`{"pad":"${'x'.repeat(size - 10)}"}`);

/** Sends `body` in 64 KiB pieces, with `Content-Length` or chunked; answers status and JSON body. */
function send(
  method: string,
  path: string,
  body: Buffer,
  framing: 'content-length' | 'chunked',
): Promise<{ status: number; json: unknown; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${OPERATOR}`,
          ...(framing === 'content-length' ? { 'content-length': body.length } : { 'transfer-encoding': 'chunked' }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            json: JSON.parse(Buffer.concat(chunks).toString('utf8')),
            headers: res.headers,
          }),
        );
      },
    );
    // The server may answer (and stop reading) before the whole body is sent: a write error then is no failure.
    req.on('error', (error) => (req.writableEnded ? undefined : reject(error)));
    let offset = 0;
    const pump = (): void => {
      while (offset < body.length) {
        const piece = body.subarray(offset, offset + 64 * 1024);
        offset += piece.length;
        if (!req.write(piece)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}

describe('request body limit', () => {
  const operations = operationsWithBody();

  it('covers every operation with a body, the three lane routes among them', () => {
    expect(operations.length).toBeGreaterThanOrEqual(8);
    expect(operations).toEqual(
      expect.arrayContaining([
        { method: 'POST', path: '/riders/locations' },
        { method: 'POST', path: '/riders/0f8fad5b-d9cb-469f-a165-70867728950e/location' },
        { method: 'POST', path: '/orders' },
      ]),
    );
  });

  for (const framing of ['content-length', 'chunked'] as const) {
    it(`answers 413 request.payload_too_large on every operation with a body (${framing})`, async () => {
      const huge = jsonOfSize(MAX_REQUEST_BODY_BYTES + 1);
      for (const { method, path } of operations) {
        const res = await send(method, path, huge, framing);
        // `Connection: close`: the rest of the body is not read, so a keep-alive client must not reuse the connection.
        expect({ method, path, status: res.status, close: res.headers.connection, json: res.json }).toEqual({
          method,
          path,
          status: 413,
          close: 'close',
          json: {
            error: {
              code: 'request.payload_too_large',
              message: `request body exceeds ${MAX_REQUEST_BODY_BYTES} bytes`,
            },
          },
        });
      }
      expect(touched).toEqual([]);
    });
  }

  it('takes a body of exactly the limit (the limit is not off by one)', async () => {
    const res = await send('POST', '/stores', jsonOfSize(MAX_REQUEST_BODY_BYTES), 'chunked');
    expect(res.status).toBe(400); // read and parsed: refused for its content (no `name`, an unknown `pad`), not its size
    expect(res.json).toMatchObject({ error: { code: 'request.invalid_input' } });
  });
});
