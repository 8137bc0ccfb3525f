/**
 * The production path: with `OTEL_EXPORTER_OTLP_ENDPOINT` set, `startTracing` sends spans to `<endpoint>/v1/traces` over
 * OTLP/HTTP (here a local HTTP server standing in for the collector), flushed at the latest on shutdown.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.ts';
import { startTracing, tracer, tracingEnabled } from './tracing.ts';

const received: Array<{ method?: string; url?: string; type?: string; body: Buffer }> = [];
const collector = createServer((req: IncomingMessage, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    received.push({ method: req.method, url: req.url, type: req.headers['content-type'], body: Buffer.concat(chunks) });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});

afterAll(() => new Promise<void>((resolve) => collector.close(() => resolve())));

describe('tracing to an OTLP/HTTP collector', () => {
  it('exports the spans of a configured process to <endpoint>/v1/traces, with its service name', async () => {
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const { port } = collector.address() as AddressInfo;
    const config = loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` });
    const tracing = await startTracing(config.tracing, { serviceName: 'deliverygo-otlp-test' });
    expect(tracing.enabled).toBe(true);
    expect(tracingEnabled()).toBe(true);
    tracer().startSpan('otlp-check-span').end();
    await tracing.shutdown(); // flushes the batch
    expect(tracingEnabled()).toBe(false);

    const posts = received.filter((r) => r.method === 'POST' && r.url === '/v1/traces');
    expect(posts.length).toBeGreaterThan(0);
    const body = posts.map((p) => p.body.toString('utf8')).join('\n');
    expect(body).toContain('otlp-check-span');
    expect(body).toContain('deliverygo-otlp-test');
  });
});
