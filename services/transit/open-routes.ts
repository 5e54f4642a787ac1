/**
 * The passengers' open API (no token, read-only, rate-limited per address): stops near a
 * rounded location or by name, a stop's arrivals, a route's line with the vehicles on it.
 * Nothing about the asker is kept: the location is rounded to ~100 m (more precise is refused),
 * used for the one answer and forgotten; the address lives only in the rate limiter's memory
 * until its bucket refills. See docs/mobile.md.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { OpenArrivals, OpenRoute, OpenStop, OpenStopsQuery, StopIdParams } from '../contracts/index.ts';
import { HttpError } from '../http/auth.ts';
import type { GtfsFeed } from './gtfs/model.ts';
import type { LiveVehicles } from './live-vehicles.ts';
import { OPEN_RATE_LIMIT, TokenBuckets, type RateLimitOptions } from './open/rate-limit.ts';
import { nearestStops, parseNear, searchStops } from './open/stops.ts';
import { OpenViews, openArrivals } from './open/views.ts';
import { buildBoard } from './realtime/boards.ts';
import type { RealtimeEngine } from './realtime/engine.ts';

export interface OpenRouteDeps {
  feed: () => GtfsFeed | undefined;
  engine: RealtimeEngine;
  vehicles: LiveVehicles;
  now: () => number;
  /** the feed's views, when shared with the `/open` namespace; else made here */
  views?: OpenViews;
  /** per client address, shared with the `/open` namespace; else made here with `rateLimit` */
  buckets?: TokenBuckets;
  /** per client address; default OPEN_RATE_LIMIT: 60 at once, 1 a second (a page polls every 20 s) */
  rateLimit?: RateLimitOptions;
}

const RouteIdParams = z.object({ routeId: z.string().min(1).max(200) });
const badRequest = (field: string, reason: string) => new HttpError(400, `${field}: ${reason}`, [{ field, reason }]);

export const openRoutes =
  (deps: OpenRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const buckets = deps.buckets ?? new TokenBuckets(deps.rateLimit ?? OPEN_RATE_LIMIT);
    const sweep = setInterval(() => buckets.sweep(deps.now()), 60_000);
    sweep.unref();
    app.addHook('onClose', async () => clearInterval(sweep));
    // Encapsulated: applies to this plugin's routes only. req.ip honours TRUST_PROXY.
    app.addHook('onRequest', async (req, reply) => {
      const took = buckets.take(req.ip, deps.now());
      void reply.header('access-control-allow-origin', '*').header('cache-control', 'no-store');
      if (!took.ok) {
        void reply.header('retry-after', String(took.retryAfterS));
        throw new HttpError(429, `too many requests from this address; try again in ${took.retryAfterS} s`);
      }
    });

    const feedViews = deps.views ?? new OpenViews(deps.feed);
    const views = () => {
      const v = feedViews.current();
      if (!v) throw new HttpError(503, 'no GTFS feed is loaded');
      return v;
    };

    app.get(
      '/api/v1/open/stops',
      {
        schema: {
          tags: ['open'],
          summary: 'Stops near a location (`near`, rounded to 3 decimals by the phone) or by name (`q`, Ukrainian or English); no token',
          security: [],
          querystring: OpenStopsQuery,
          response: { 200: z.array(OpenStop) },
        },
      },
      async (req) => {
        const { near, q, limit } = req.query;
        if ((near === undefined) === (q === undefined)) throw badRequest(near === undefined ? 'near' : 'q', 'give either near=lat,lon or q=name, not both or neither');
        const v = views();
        if (near !== undefined) {
          const at = parseNear(near);
          if (!at.ok) throw badRequest('near', at.reason);
          return nearestStops(v.stops, at.lat, at.lon, limit);
        }
        if (!q!.trim()) throw badRequest('q', 'must not be empty');
        return searchStops(v.stops, q!, limit);
      },
    );

    app.get(
      '/api/v1/open/stops/:stopId/arrivals',
      { schema: { tags: ['open'], summary: 'What is coming to a stop, soonest first (realtime: false where only the timetable speaks); no token', security: [], params: StopIdParams, response: { 200: OpenArrivals } } },
      async (req) => {
        const v = views();
        const stop = v.byId.get(req.params.stopId);
        if (!stop) throw new HttpError(404, `stop ${req.params.stopId} is not in the feed`, [{ field: 'stopId', reason: 'unknown stop' }]);
        return openArrivals(v, stop, buildBoard(deps.engine, stop.stopId, deps.now()));
      },
    );

    app.get(
      '/api/v1/open/routes/:routeId',
      { schema: { tags: ['open'], summary: 'A route: its line and stops per direction, and the vehicles on it now; no token', security: [], params: RouteIdParams, response: { 200: OpenRoute } } },
      async (req) => {
        const v = views();
        const route = v.routes.get(req.params.routeId);
        if (!route) throw new HttpError(404, `route ${req.params.routeId} is not in the feed`, [{ field: 'routeId', reason: 'unknown route' }]);
        const feed = v.feed;
        const vehicles = deps.vehicles.byRoute(route.routeId).filter((x) => !x.stale).map((x) => {
          const trip = deps.engine.tripState(x.vehicleId);
          const gtfsTrip = trip?.tripId ? feed.trips.get(trip.tripId) : undefined;
          return {
            vehicleId: x.vehicleId, lat: x.lat, lon: x.lon, courseDeg: x.courseDeg, ts: x.ts,
            directionId: trip?.directionId ?? null, headsign: gtfsTrip?.headsign ?? null, delayS: trip?.delayS ?? null,
          };
        });
        return { ...route, generatedAt: new Date(deps.now()).toISOString(), vehicles };
      },
    );
  };
