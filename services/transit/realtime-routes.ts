/**
 * REST of the realtime half of transit: stop boards, vehicle trips and assignments, headways,
 * and which stops a display may read.
 */
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  AssignmentBody, DisplayStops as DisplayStopsSchema, DisplayStopsBody, RouteHeadways, StopBoard, StopIdParams, VehicleIdParams, VehicleTrip,
  type Headway, type RouteHeadways as RouteHeadwaysT, type VehicleTrip as VehicleTripT,
} from '../contracts/index.ts';
import { HttpError } from '../http/auth.ts';
import type { AuthPolicy, AuditSink } from '../platform/domain-module.ts';
import { buildBoard } from './realtime/boards.ts';
import { AssignmentError, type HeadwayState, type RealtimeEngine } from './realtime/engine.ts';
import type { DisplayStops } from './realtime/sqlite-repos.ts';

export interface RealtimeRouteDeps {
  engine: RealtimeEngine;
  auth: AuthPolicy;
  displays: DisplayStops;
  audit?: AuditSink;
  now: () => number;
}

const iso = (ms: number) => new Date(ms).toISOString();

export const headwayOut = (h: HeadwayState | null): Headway | null =>
  h ? { actualS: Math.round(h.actualS), scheduledS: Math.round(h.scheduledS), ratio: Math.round(h.ratio * 100) / 100, rating: h.rating, leaderVehicleId: h.leaderVehicleId, stopId: h.stopId, at: iso(h.atMs) } : null;

function principalOf(auth: AuthPolicy, req: FastifyRequest) {
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return m ? auth.authenticate(m[1]!) : undefined;
}

export function vehicleTrip(engine: RealtimeEngine, vehicleId: string): VehicleTripT | undefined {
  const s = engine.tripState(vehicleId);
  if (!s) return undefined;
  const feed = engine.feed();
  return {
    vehicleId, tripId: s.tripId, routeId: s.routeId, directionId: s.directionId, startDate: s.startDate, startTime: s.startTime, manual: s.manual,
    delayS: s.delayS, progressM: s.progressM, offRouteM: s.offRouteM, offRoute: s.offRoute, stale: s.stale, headway: headwayOut(s.headway),
    lastPositionAt: s.lastPositionMs ? iso(s.lastPositionMs) : null,
    nextStops: s.stale ? [] : engine.predictionsOf(vehicleId).map((p) => ({
      stopId: p.stopId, name: feed?.stops.get(p.stopId)?.name ?? p.stopId, stopSequence: p.stopSequence, arrivalTime: iso(p.arrivalMs), scheduledArrivalTime: iso(p.scheduledArrivalMs),
    })),
  };
}

export function routeHeadways(engine: RealtimeEngine, routeId?: string): RouteHeadwaysT[] {
  const groups = new Map<string, RouteHeadwaysT>();
  for (const s of engine.tripStates()) {
    if (!s.tripId || s.stale || !s.routeId || (routeId && s.routeId !== routeId)) continue;
    const dir = s.directionId ?? 0;
    const key = `${s.routeId}|${dir}`;
    const g = groups.get(key) ?? groups.set(key, { routeId: s.routeId, directionId: dir, vehicles: [] }).get(key)!;
    g.vehicles.push({ vehicleId: s.vehicleId, tripId: s.tripId, progressM: s.progressM ?? 0, delayS: s.delayS ?? 0, headway: headwayOut(s.headway) });
  }
  for (const g of groups.values()) g.vehicles.sort((a, b) => b.progressM - a.progressM);
  return [...groups.values()].sort((a, b) => a.routeId.localeCompare(b.routeId) || a.directionId - b.directionId);
}

export const realtimeRoutes =
  (deps: RealtimeRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { engine, auth } = deps;
    const readers = auth.requireRole('dispatcher', 'display');
    const dispatchers = auth.requireRole('dispatcher');
    const admin = auth.requireRole();

    app.get(
      '/api/v1/transit/stops/:stopId/arrivals',
      {
        preHandler: readers,
        schema: {
          tags: ['transit'],
          summary: 'What is coming to a stop, soonest first: predictions where a vehicle runs the trip, the timetable where none does (realtime: false). A display token reads only its own stops.',
          params: StopIdParams,
          response: { 200: StopBoard },
        },
      },
      async (req) => {
        const { stopId } = req.params;
        const p = principalOf(auth, req);
        if (p && !p.roles.includes('admin') && !p.roles.includes('dispatcher') && !deps.displays.may(p.name, stopId)) {
          throw new HttpError(403, `this display may read only its own stops; ${stopId} is not one of them`);
        }
        const feed = engine.feed();
        if (!feed) throw new HttpError(503, 'no GTFS feed is loaded');
        if (!feed.stops.has(stopId)) throw new HttpError(404, `stop ${stopId} is not in the feed`, [{ field: 'stopId', reason: 'unknown stop' }]);
        return buildBoard(engine, stopId, deps.now());
      },
    );

    app.get(
      '/api/v1/transit/vehicles/:vehicleId/trip',
      {
        preHandler: readers,
        schema: { tags: ['transit'], summary: 'The trip a vehicle runs: delay, progress, off-route, headway and its next stops with ETAs', params: VehicleIdParams, response: { 200: VehicleTrip } },
      },
      async (req) => {
        const t = vehicleTrip(engine, req.params.vehicleId);
        if (!t) throw new HttpError(404, `vehicle ${req.params.vehicleId} has sent no position since the hub started`);
        return t;
      },
    );

    app.put(
      '/api/v1/transit/vehicles/:vehicleId/assignment',
      {
        preHandler: dispatchers,
        schema: {
          tags: ['transit'],
          summary: 'Assign a vehicle to a trip (instead of the hub\'s own matching) until deleted or the trip ends',
          params: VehicleIdParams, body: AssignmentBody, response: { 200: VehicleTrip },
        },
      },
      async (req) => {
        const { vehicleId } = req.params;
        try {
          engine.assign(vehicleId, req.body.tripId);
        } catch (err) {
          if (err instanceof AssignmentError) throw new HttpError(err.statusCode, err.message, [{ field: err.field, reason: err.message }]);
          throw err;
        }
        deps.audit?.record(principalOf(auth, req)?.name ?? 'unknown', 'transit.assign', vehicleId, { tripId: req.body.tripId });
        return vehicleTrip(engine, vehicleId) ?? {
          vehicleId, tripId: req.body.tripId, routeId: null, directionId: null, startDate: null, startTime: null, manual: true, delayS: null, progressM: null,
          offRouteM: null, offRoute: false, stale: true, headway: null, lastPositionAt: null, nextStops: [],
        };
      },
    );

    app.delete(
      '/api/v1/transit/vehicles/:vehicleId/assignment',
      { preHandler: dispatchers, schema: { tags: ['transit'], summary: 'Back to the hub\'s own trip matching', params: VehicleIdParams } },
      async (req, reply) => {
        if (!engine.unassign(req.params.vehicleId)) throw new HttpError(404, `vehicle ${req.params.vehicleId} has no dispatcher's assignment`);
        deps.audit?.record(principalOf(auth, req)?.name ?? 'unknown', 'transit.unassign', req.params.vehicleId);
        return reply.status(204).send();
      },
    );

    app.get(
      '/api/v1/transit/headways',
      {
        preHandler: dispatchers,
        schema: {
          tags: ['transit'],
          summary: 'Per route and direction, the vehicles (furthest along first) with the headway to the one ahead: actual ÷ scheduled, rated as Skate does',
          querystring: z.strictObject({ routeId: z.string().max(200).optional() }),
          response: { 200: z.array(RouteHeadways) },
        },
      },
      async (req) => routeHeadways(engine, req.query.routeId),
    );

    const PrincipalParams = z.object({ principal: z.string().min(1).max(200).describe('as the audit log names it: `token:{name}` for an API token') });
    app.get(
      '/api/v1/transit/displays/:principal/stops',
      { preHandler: admin, schema: { tags: ['transit'], summary: 'The stops a display token may read', params: PrincipalParams, response: { 200: DisplayStopsSchema } } },
      async (req) => ({ principal: req.params.principal, stopIds: deps.displays.stopsOf(req.params.principal) }),
    );
    app.put(
      '/api/v1/transit/displays/:principal/stops',
      {
        preHandler: admin,
        schema: { tags: ['transit'], summary: 'Bind a display token to its stops (replaces the list)', params: PrincipalParams, body: DisplayStopsBody, response: { 200: DisplayStopsSchema } },
      },
      async (req) => {
        const feed = engine.feed();
        const unknown = feed ? req.body.stopIds.filter((s) => !feed.stops.has(s)) : [];
        if (unknown.length) throw new HttpError(400, `stopIds: not in the feed: ${unknown.join(', ')}`, unknown.map((s) => ({ field: 'stopIds', reason: `stop ${s} is not in the feed` })));
        await deps.displays.set(req.params.principal, req.body.stopIds);
        deps.audit?.record(principalOf(auth, req)?.name ?? 'unknown', 'transit.display-stops', req.params.principal, { stopIds: req.body.stopIds });
        return { principal: req.params.principal, stopIds: deps.displays.stopsOf(req.params.principal) };
      },
    );
  };
