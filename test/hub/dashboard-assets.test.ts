/**
 * The dashboards' files over real HTTP: gzip to a client that accepts it, the same bytes after
 * decompression, 304 on a matching ETag, plain bytes to a client that does not take gzip.
 */
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDashboards, type DashboardAsset } from '../../dashboards/build.ts';
import { acceptsGzip, serveDashboards } from '../../services/http/dashboard-assets.ts';

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('acceptsGzip', () => {
  it('reads Accept-Encoding as browsers and proxies send it', () => {
    expect(acceptsGzip('gzip, deflate, br')).toBe(true);
    expect(acceptsGzip('br;q=1.0, gzip;q=0.8')).toBe(true);
    expect(acceptsGzip('*')).toBe(true);
    expect(acceptsGzip('gzip;q=0')).toBe(false);
    expect(acceptsGzip('br, deflate')).toBe(false);
    expect(acceptsGzip('identity')).toBe(false);
    expect(acceptsGzip(undefined)).toBe(false);
  });
});

describe('dashboard files over HTTP', () => {
  let app: FastifyInstance;
  let port: number;
  let assets: Map<string, DashboardAsset>;

  beforeAll(async () => {
    assets = await buildDashboards();
    assets.set('/tiny.txt', { body: Buffer.from('short'), contentType: 'text/plain; charset=utf-8' });
    app = Fastify();
    serveDashboards(app, assets);
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as AddressInfo).port;
  }, 60_000);
  afterAll(async () => app?.close());

  it('sends the passengers\' page and its script gzipped, byte for byte the same once inflated', async () => {
    for (const path of ['/m/', '/mobile/app.js', '/transit/']) {
      const res = await get(port, path, { 'accept-encoding': 'gzip, deflate, br' });
      expect(res.status).toBe(200);
      expect(res.headers['content-encoding']).toBe('gzip');
      expect(res.headers.vary).toContain('accept-encoding');
      expect(res.body.length).toBeLessThan(assets.get(path)!.body.length);
      expect(gunzipSync(res.body).equals(assets.get(path)!.body)).toBe(true);
    }
  });

  it('sends plain bytes to a client that does not take gzip, and leaves tiny files alone', async () => {
    const plain = await get(port, '/m/');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.equals(assets.get('/m/')!.body)).toBe(true);
    const tiny = await get(port, '/tiny.txt', { 'accept-encoding': 'gzip' });
    expect(tiny.headers['content-encoding']).toBeUndefined();
    expect(tiny.body.toString()).toBe('short');
  });

  it('answers 304 with no body to a client that has the file (If-None-Match), 200 to one that has an old one', async () => {
    const first = await get(port, '/transit/app.js', { 'accept-encoding': 'gzip' });
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await get(port, '/transit/app.js', { 'accept-encoding': 'gzip', 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    const weak = await get(port, '/transit/app.js', { 'if-none-match': `W/${etag}` });
    expect(weak.status).toBe(304);
    const stale = await get(port, '/transit/app.js', { 'if-none-match': '"something-else"' });
    expect(stale.status).toBe(200);
    expect(stale.body.equals(assets.get('/transit/app.js')!.body)).toBe(true);
  });

  it('still sends /transit to /transit/', async () => {
    const res = await get(port, '/transit');
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe('/transit/');
  });
});
