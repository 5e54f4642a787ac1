/** GTFS-Realtime: open data, no token; protobuf, or JSON with `?format=json`. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RealtimeEngine } from './realtime/engine.ts';
import { alerts, encodeFeed, feedJson, tripUpdates, vehiclePositions, type ServiceAlertInput } from './realtime/gtfs-rt.ts';

export interface GtfsRtRouteDeps {
  engine: RealtimeEngine;
  now: () => number;
  /** the service alerts in force or announced (none until a source is wired) */
  serviceAlerts?: () => readonly ServiceAlertInput[];
}

const Query = z.strictObject({ format: z.enum(['protobuf', 'json']).default('protobuf').describe('json: the same feed, readable') });

export const gtfsRtRoutes =
  (deps: GtfsRtRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const feeds = {
      'vehicle-positions': () => vehiclePositions(deps.engine, deps.now()),
      'trip-updates': () => tripUpdates(deps.engine, deps.now()),
      alerts: () => alerts(deps.serviceAlerts?.() ?? [], deps.now()),
    } as const;
    for (const [name, build] of Object.entries(feeds)) {
      app.get(
        `/gtfs-rt/${name}`,
        { schema: { tags: ['gtfs-realtime'], summary: `GTFS-Realtime ${name} (FULL_DATASET)`, security: [], querystring: Query } },
        async (req, reply) => {
          const message = build();
          void reply.header('cache-control', 'no-cache').header('access-control-allow-origin', '*');
          if (req.query.format === 'json') return reply.type('application/json; charset=utf-8').send(feedJson(message));
          return reply.type('application/x-protobuf').send(Buffer.from(encodeFeed(message)));
        },
      );
    }
  };
