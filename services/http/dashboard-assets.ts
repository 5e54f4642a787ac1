/**
 * Serves the dashboards' in-memory files (dashboards/build.ts): gzip-compressed to a client
 * that accepts it, and revalidated by ETag. A stop display or a passenger's phone on a slow
 * link then downloads a page once, and afterwards gets `304 Not Modified` for each visit; the
 * gzip of each file is made once, at start.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import type { DashboardAsset } from '../../dashboards/build.ts';

/** Below this, gzip's header and the CPU cost more than the bytes saved. */
const MIN_GZIP_BYTES = 1024;

interface Served {
  asset: DashboardAsset;
  etag: string;
  gzipped?: Buffer;
}

function prepare(asset: DashboardAsset): Served {
  const etag = `"${createHash('sha256').update(asset.body).digest('base64url').slice(0, 27)}"`;
  const compressible = /^(text\/|application\/(json|manifest\+json|javascript)|image\/svg\+xml)/.test(asset.contentType);
  if (!compressible || asset.body.length < MIN_GZIP_BYTES) return { asset, etag };
  const gzipped = gzipSync(asset.body, { level: 9 });
  return gzipped.length < asset.body.length ? { asset, etag, gzipped } : { asset, etag };
}

/** Whether an Accept-Encoding header takes gzip (and does not refuse it with q=0). */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== '*') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/** One GET route per file; a page folder (`/transit/`) also answers `/transit` with a redirect. */
export function serveDashboards(app: FastifyInstance, assets: ReadonlyMap<string, DashboardAsset>): void {
  for (const [path, asset] of assets) {
    const served = prepare(asset);
    if (path.length > 1 && path.endsWith('/')) app.get(path.slice(0, -1), { schema: { hide: true } }, async (_req, reply) => reply.redirect(path, 301));
    app.get(path, { schema: { hide: true } }, async (req, reply) => {
      // no-cache: the browser may keep the file but asks each time (the hub may have been updated).
      reply.type(asset.contentType).header('cache-control', 'no-cache').header('etag', served.etag).header('vary', 'accept-encoding');
      const ifNoneMatch = req.headers['if-none-match'];
      if (ifNoneMatch && ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === served.etag)) return reply.code(304).send();
      if (served.gzipped && acceptsGzip(req.headers['accept-encoding'])) return reply.header('content-encoding', 'gzip').send(served.gzipped);
      return reply.send(asset.body);
    });
  }
}
