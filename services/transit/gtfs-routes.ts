/**
 * The GTFS static part of the transit API: the feed the hub runs on as a zip (open data), its
 * stops and routes for dispatchers' maps and stop displays, and the admin's upload that swaps a
 * new feed in without a restart.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { GtfsImportResult, TransitMapConfig, TransitRoute, TransitStop, toIsoUtc, type Role } from '../contracts/index.ts';
import { HttpError } from '../http/auth.ts';
import type { GtfsHolder } from './gtfs/holder.ts';
import { formatIssue, loadGtfs, type GtfsIssue } from './gtfs/load.ts';
import { GtfsReadError, unzipGtfs, zipFeed } from './gtfs/read.ts';
import { routesView, stopsView } from './gtfs/views.ts';

export interface GtfsRouteDeps {
  gtfs: GtfsHolder;
  requireRole(...roles: Role[]): (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
  audit: { record(actor: string, action: string, target?: string | null, detail?: unknown): void };
  now: () => number;
  /** Keeps an uploaded feed (the zip as uploaded) so that a restart runs on it too. */
  saveUpload?: (zip: Uint8Array) => void;
  /** Largest upload, bytes (default 100 MB). */
  maxUploadBytes?: number;
  /** MAP_TILE_URL: a street-map tile server the hub relays under `/map/tiles/{z}/{x}/{y}` */
  mapTileUrl?: string;
  /** how tiles are fetched (tests pass their own) */
  fetchTile?: (url: string) => Promise<Response>;
}

/** Tiles kept in memory: a dispatch screen of the city at a few zoom levels. */
const TILE_CACHE = 400;

/** A GTFS problem as a REST issue: the field is `file:line:column`. */
const toIssue = (i: GtfsIssue) => ({ field: [i.file, i.line, i.field].filter((x) => x !== undefined).join(':'), reason: i.reason });

export const gtfsRoutes =
  (deps: GtfsRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    // Views of the current feed, rebuilt when the feed is replaced.
    let cached: { version: number; zip?: Uint8Array; etag?: string; stops?: TransitStop[]; routes?: TransitRoute[] } = { version: -1 };
    const views = () => {
      if (cached.version !== deps.gtfs.version) cached = { version: deps.gtfs.version };
      return cached;
    };

    app.addContentTypeParser(['application/zip', 'application/x-zip-compressed', 'application/octet-stream'], { parseAs: 'buffer', bodyLimit: deps.maxUploadBytes ?? 100 * 1024 * 1024 }, (_req, body, done) => done(null, body));

    app.get(
      '/gtfs/static.zip',
      { schema: { tags: ['transit'], summary: 'The GTFS static feed the hub runs on (open data, no token)', security: [] } },
      async (req, reply) => {
        const v = views();
        if (deps.gtfs.feed.files.size === 0) throw new HttpError(404, 'the hub runs on no GTFS feed (set GTFS_PATH or POST /api/v1/transit/gtfs)');
        if (!v.zip) {
          v.zip = zipFeed(deps.gtfs.feed);
          v.etag = `"gtfs-${deps.gtfs.info.loadedMs.toString(36)}-${v.zip.length.toString(36)}"`;
        }
        reply.header('etag', v.etag).header('cache-control', 'public, max-age=60');
        if (req.headers['if-none-match'] === v.etag) return reply.code(304).send();
        return reply.type('application/zip').header('content-disposition', 'attachment; filename="gtfs-static.zip"').send(Buffer.from(v.zip));
      },
    );

    app.get(
      '/api/v1/transit/stops',
      {
        preHandler: deps.requireRole('dispatcher', 'display'),
        schema: { tags: ['transit'], summary: 'Every stop of the GTFS feed with the routes that serve it', response: { 200: z.array(TransitStop) } },
      },
      async () => {
        const v = views();
        return (v.stops ??= stopsView(deps.gtfs.feed));
      },
    );

    app.get(
      '/api/v1/transit/routes',
      {
        preHandler: deps.requireRole('dispatcher', 'display'),
        schema: { tags: ['transit'], summary: 'Routes of the GTFS feed with their lines ([lat, lon]) and stops per direction, for the map', response: { 200: z.array(TransitRoute) } },
      },
      async () => {
        const v = views();
        return (v.routes ??= routesView(deps.gtfs.feed));
      },
    );

    app.get(
      '/api/v1/transit/map',
      {
        preHandler: deps.requireRole('dispatcher', 'display'),
        schema: { tags: ['transit'], summary: 'How the dispatch map draws: a street-map tile URL template when MAP_TILE_URL is set', response: { 200: TransitMapConfig } },
      },
      async () => ({ tileUrl: deps.mapTileUrl ? '/map/tiles/{z}/{x}/{y}' : null }),
    );

    // The street map is relayed rather than linked: the page's content policy stays 'self',
    // and a tile server inside the city's network serves browsers that cannot reach it.
    const tiles = new Map<string, { type: string; body: Buffer }>();
    app.get(
      '/map/tiles/:z/:x/:y',
      {
        schema: {
          hide: true,
          params: z.object({ z: z.coerce.number().int().min(0).max(22), x: z.coerce.number().int().min(0), y: z.coerce.number().int().min(0) }),
        },
      },
      async (req, reply) => {
        const { z: zoom, x, y } = req.params;
        if (!deps.mapTileUrl) throw new HttpError(404, 'no street map: MAP_TILE_URL is not set');
        if (x >= 2 ** zoom || y >= 2 ** zoom) throw new HttpError(400, `x, y: must be below 2^z = ${2 ** zoom}`, [{ field: 'x', reason: 'out of range for z' }]);
        const key = `${zoom}/${x}/${y}`;
        let tile = tiles.get(key);
        if (tile) {
          tiles.delete(key);
          tiles.set(key, tile);
        } else {
          const url = deps.mapTileUrl.replace(/\{z\}|%7Bz%7D/gi, String(zoom)).replace(/\{x\}|%7Bx%7D/gi, String(x)).replace(/\{y\}|%7By%7D/gi, String(y));
          let res: Response;
          try {
            res = await (deps.fetchTile ?? ((u) => fetch(u, { signal: AbortSignal.timeout(5_000), headers: { 'user-agent': 'mistohub' } })))(url);
          } catch (err) {
            throw new HttpError(503, `the tile server did not answer: ${(err as Error).message}`);
          }
          if (!res.ok) throw new HttpError(res.status === 404 ? 404 : 503, `the tile server answered ${res.status}`);
          tile = { type: res.headers.get('content-type') ?? 'image/png', body: Buffer.from(await res.arrayBuffer()) };
          tiles.set(key, tile);
          if (tiles.size > TILE_CACHE) tiles.delete(tiles.keys().next().value!);
        }
        return reply.type(tile.type).header('cache-control', 'public, max-age=86400').send(tile.body);
      },
    );

    app.post(
      '/api/v1/transit/gtfs',
      {
        preHandler: deps.requireRole(),
        bodyLimit: deps.maxUploadBytes ?? 100 * 1024 * 1024,
        schema: {
          tags: ['transit'],
          summary: 'Replace the GTFS feed (admin; body: the zip, Content-Type application/zip). A feed with errors is refused with every error named by file, line and field.',
          response: { 200: GtfsImportResult },
        },
      },
      async (req) => {
        const body = req.body;
        if (!Buffer.isBuffer(body) || body.length === 0) throw new HttpError(400, 'body: send the feed as a zip with Content-Type: application/zip', [{ field: 'body', reason: 'a zip file is required' }]);
        let files;
        try {
          files = unzipGtfs(body);
        } catch (err) {
          if (!(err instanceof GtfsReadError)) throw err;
          throw new HttpError(400, `body: ${err.message}`, [{ field: 'body', reason: err.message }]);
        }
        const result = loadGtfs(files);
        const actor = req.principal?.name ?? 'unknown';
        if (!result.ok) {
          deps.audit.record(actor, 'gtfs.refused', 'gtfs', { bytes: body.length, errors: result.errors.length, first: formatIssue(result.errors[0]!) });
          const n = result.errors.length;
          throw new HttpError(400, `the GTFS feed has ${n === 201 ? 'more than 200' : n} error${n === 1 ? '' : 's'}; first: ${formatIssue(result.errors[0]!)}`, result.errors.map(toIssue));
        }
        for (const err of deps.gtfs.replace(result.feed, 'upload')) req.log.error({ err }, 'a GTFS feed listener failed on the new feed');
        deps.saveUpload?.(body);
        const info = deps.gtfs.info;
        deps.audit.record(actor, 'gtfs.replace', 'gtfs', { bytes: body.length, routes: info.routes, stops: info.stops, trips: info.trips, warnings: result.warnings.length });
        req.log.info({ routes: info.routes, stops: info.stops, trips: info.trips, by: actor }, 'GTFS feed replaced');
        return { loadedAt: toIsoUtc(info.loadedMs), routes: info.routes, stops: info.stops, trips: info.trips, warnings: result.warnings.map(formatIssue) };
      },
    );
  };
