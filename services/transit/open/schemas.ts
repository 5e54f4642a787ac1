/**
 * The open (no token) passenger API's answers. Kept beside the routes while the API settles;
 * they import only zod and the transit contracts, so they can move into services/contracts as is.
 */
import { z } from 'zod';
import { IsoUtc, StopArrival, TransitRoute } from '../../contracts/index.ts';

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
