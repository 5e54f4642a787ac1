import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { TrackPoint, TrackQuery, VehicleState, toIsoUtc, type TrackPoint as Track } from '../contracts/index.ts';
import { HttpError } from '../http/auth.ts';
import type { AuthPolicy } from '../platform/domain-module.ts';
import type { HistoryStore } from '../store/history-store.ts';
import type { LiveVehicles } from './live-vehicles.ts';

const DAY_MS = 86_400_000;

export interface TransitRouteDeps {
  vehicles: LiveVehicles;
  store: HistoryStore;
  auth: AuthPolicy;
  now: () => number;
}

const badRequest = (field: string, reason: string) => new HttpError(400, `${field}: ${reason}`, [{ field, reason }]);

export const transitRoutes =
  (deps: TransitRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const readers = deps.auth.requireRole('dispatcher', 'display');
    app.get(
      '/api/v1/transit/vehicles',
      {
        preHandler: readers,
        schema: {
          tags: ['transit'],
          summary: 'Live state of every vehicle',
          querystring: z.strictObject({ routeId: z.string().max(120).optional() }),
          response: { 200: z.array(VehicleState) },
        },
      },
      async (req) => deps.vehicles.byRoute(req.query.routeId),
    );

    app.get(
      '/api/v1/transit/vehicles/:vehicleId/track',
      {
        preHandler: readers,
        schema: {
          tags: ['transit'],
          summary: 'Every stored position of a vehicle in time order, buffered and historical records included',
          params: z.object({ vehicleId: z.string().min(1).max(120) }),
          querystring: TrackQuery,
          response: { 200: z.array(TrackPoint) },
        },
      },
      async (req) => {
        const to = req.query.to ? Date.parse(req.query.to) : deps.now();
        const from = req.query.from ? Date.parse(req.query.from) : to - DAY_MS;
        if (from > to) throw badRequest('from', 'must not be after `to`');
        const points = await deps.store.range({ measurement: 'position', tags: { vehicle: req.params.vehicleId }, from, to, limit: req.query.limit });
        return points.map((p): Track => ({
          ts: toIsoUtc(p.ts),
          deviceId: p.tags.device ?? '',
          lat: Number(p.fields.lat),
          lon: Number(p.fields.lon),
          speedKmh: typeof p.fields.speedKmh === 'number' ? p.fields.speedKmh : null,
          courseDeg: typeof p.fields.courseDeg === 'number' ? p.fields.courseDeg : null,
          fix: p.fields.fix !== false,
        }));
      },
    );
  };
