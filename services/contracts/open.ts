/**
 * The open (no token) passenger API: its REST answers (`/api/v1/open/*`) and what the `/open`
 * Socket.IO namespace pushes. See docs/mobile.md.
 */
import { z } from 'zod';
import { IsoUtc } from './common.ts';
import { StopArrival, TransitRoute } from './transit.ts';

export const OpenRouteRef = z.object({ routeId: z.string(), shortName: z.string(), type: z.number(), color: z.string().nullable(), textColor: z.string().nullable() });

export const OpenStop = z.object({
  stopId: z.string(),
  name: z.string(),
  /** the name in other languages: `{en: "Bus Station"}` */
  names: z.record(z.string(), z.string()).optional(),
  code: z.string().optional(),
  lat: z.number(),
  lon: z.number(),
  routes: z.array(OpenRouteRef),
  /** metres from the rounded location asked for, to 10 m (nearest-stops answers only) */
  distanceM: z.number().optional(),
});
export type OpenStop = z.infer<typeof OpenStop>;

export const OpenStopsQuery = z.strictObject({
  near: z.string().max(40).optional().describe('"lat,lon", at most 3 decimals (about 100 m): round on the phone before asking'),
  q: z.string().max(100).optional().describe('part of a stop name, Ukrainian or English'),
  limit: z.coerce.number().int().min(1).max(30).default(10),
});

export const OpenArrivals = z.object({
  stop: OpenStop,
  generatedAt: IsoUtc,
  arrivals: z.array(StopArrival.extend({ color: z.string().nullable(), textColor: z.string().nullable() })),
});
export type OpenArrivals = z.infer<typeof OpenArrivals>;

export const OpenVehicle = z.object({
  vehicleId: z.string(),
  lat: z.number(),
  lon: z.number(),
  courseDeg: z.number().nullable(),
  directionId: z.union([z.literal(0), z.literal(1)]).nullable(),
  headsign: z.string().nullable(),
  delayS: z.number().nullable(),
  ts: IsoUtc,
});

export const OpenRoute = TransitRoute.extend({ generatedAt: IsoUtc, vehicles: z.array(OpenVehicle) });
export type OpenRoute = z.infer<typeof OpenRoute>;

/**
 * `/open` event `vehicles` (room `route:{routeId}`): a vehicle on the route as a passenger's map
 * needs it, sent at join (those reporting now) and whenever it moves or goes stale (or comes back).
 * Vehicle ids are the fleet numbers the GTFS-Realtime feed publishes anyway; no device ids.
 */
export const OpenRouteVehicle = z.strictObject({
  vehicleId: z.string(),
  routeId: z.string(),
  lat: z.number(),
  lon: z.number(),
  /** heading, degrees clockwise from north; null when the tracker gave none */
  courseDeg: z.number().nullable(),
  /** true when no position has arrived for STALE_AFTER_MS: take it off the map */
  stale: z.boolean(),
  /** the position's time */
  ts: IsoUtc,
});
export type OpenRouteVehicle = z.infer<typeof OpenRouteVehicle>;

/**
 * A GTFS-Realtime alert entity as `/gtfs-rt/alerts?format=json` gives it: what the page already
 * reads, so one renderer serves the REST feed and the push.
 */
export const OpenAlertEntity = z.object({
  id: z.string(),
  alert: z.object({
    activePeriod: z.array(z.object({ start: z.number().optional(), end: z.number().optional() })).optional(),
    informedEntity: z.array(z.object({ routeId: z.string().optional(), stopId: z.string().optional() })).optional(),
    headerText: z.object({ translation: z.array(z.object({ text: z.string(), language: z.string().optional() })) }).optional(),
    descriptionText: z.object({ translation: z.array(z.object({ text: z.string(), language: z.string().optional() })) }).optional(),
  }),
});
export type OpenAlertEntity = z.infer<typeof OpenAlertEntity>;

/** `/open` event `alerts`: the alerts in force for a stop (for it, or for a route calling there); empty when the last one ended. */
export const OpenStopAlerts = z.object({ stopId: z.string(), generatedAt: IsoUtc, alerts: z.array(OpenAlertEntity) });
export type OpenStopAlerts = z.infer<typeof OpenStopAlerts>;
