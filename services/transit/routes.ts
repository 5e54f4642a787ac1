import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DateTime } from 'luxon';
import { PLAYBACK_MAX_POINTS, PlaybackDay, PlaybackQuery, TrackPoint, TrackQuery, VehicleState, toIsoUtc, type TrackPoint as Track } from '../contracts/index.ts';
import { HttpError } from '../http/auth.ts';
import type { AuthPolicy } from '../platform/domain-module.ts';
import type { HistoryStore } from '../store/history-store.ts';
import type { GtfsFeed } from './gtfs/model.ts';
import type { LiveVehicles } from './live-vehicles.ts';
import { replayDay } from './realtime/playback.ts';

const DAY_MS = 86_400_000;

export interface TransitRouteDeps {
  vehicles: LiveVehicles;
  store: HistoryStore;
  auth: AuthPolicy;
  now: () => number;
  /** for the day's playback: the feed, the city's zone and the route a device is registered on */
  feed: () => GtfsFeed | undefined;
  zone: string;
  routeOf: (deviceId: string) => string | null;
}

/** The bounds (epoch ms) of a local day in `zone`, `date` YYYY-MM-DD or today. */
export function localDay(zone: string, nowMs: number, date?: string): { date: string; from: number; to: number } {
  const start = date ? DateTime.fromISO(date, { zone }) : DateTime.fromMillis(nowMs, { zone }).startOf('day');
  return { date: start.toISODate()!, from: start.toMillis(), to: start.plus({ days: 1 }).toMillis() };
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

    app.get(
      '/api/v1/transit/vehicles/:vehicleId/day',
      {
        preHandler: deps.auth.requireRole('dispatcher'),
        schema: {
          tags: ['transit'],
          summary: `A vehicle's local day for playback: its stored positions (at most ${PLAYBACK_MAX_POINTS}) with the trip and delay the hub's matching makes of each, replayed over the current feed`,
          params: z.object({ vehicleId: z.string().min(1).max(120) }),
          querystring: PlaybackQuery,
          response: { 200: PlaybackDay },
        },
      },
      async (req) => {
        const day = localDay(deps.zone, deps.now(), req.query.date);
        // One more than the bound tells whether the day was cut.
        const stored = await deps.store.range({ measurement: 'position', tags: { vehicle: req.params.vehicleId }, from: day.from, to: day.to - 1, limit: PLAYBACK_MAX_POINTS + 1 });
        const fixes = stored.slice(0, PLAYBACK_MAX_POINTS).flatMap((p) => {
          const lat = p.fields.lat;
          const lon = p.fields.lon;
          if (p.fields.fix === false || typeof lat !== 'number' || typeof lon !== 'number') return [];
          const num = (v: unknown) => (typeof v === 'number' ? v : null);
          return [{ ts: p.ts, lat, lon, speedKmh: num(p.fields.speedKmh), courseDeg: num(p.fields.courseDeg), deviceId: p.tags.device ?? '' }];
        });
        const points = replayDay(deps.feed(), deps.zone, req.params.vehicleId, fixes, deps.routeOf).map((p) => ({ ...p, ts: toIsoUtc(p.ts) }));
        return { vehicleId: req.params.vehicleId, date: day.date, from: toIsoUtc(day.from), to: toIsoUtc(day.to), truncated: stored.length > PLAYBACK_MAX_POINTS, points };
      },
    );
  };
