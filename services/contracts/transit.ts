import { z } from 'zod';
import { DeviceId, IsoUtc, Latitude, Longitude, NonNegative, Timestamp, finite } from './common.ts';

/** IO element values by id (Teltonika/GT06 numbering), kept as numbers. */
export const IoElements = z.record(z.string().regex(/^\d{1,5}$/, 'IO element ids are decimal numbers'), finite());

/** `v1/transit/{deviceId}/position` */
export const PositionPayload = z.strictObject({
  ts: Timestamp,
  lat: Latitude,
  lon: Longitude,
  speedKmh: NonNegative.max(400, 'must be ≤ 400').optional(),
  courseDeg: finite().min(0, 'must be ≥ 0').max(360, 'must be ≤ 360').optional(),
  altitudeM: finite().min(-500, 'must be ≥ -500').max(10000, 'must be ≤ 10000').optional(),
  satellites: z.number().int().min(0).max(255).optional(),
  hdop: NonNegative.max(100).optional(),
  /** false when the tracker had no GPS fix: kept in history, never moves the vehicle. Default true. */
  fix: z.boolean().optional(),
  ignition: z.boolean().optional(),
  odometerKm: NonNegative.optional(),
  io: IoElements.optional(),
});
export type PositionPayload = z.input<typeof PositionPayload>;
export type Position = z.output<typeof PositionPayload>;

/** Live state of one vehicle, as REST and Socket.IO send it. */
export const VehicleState = z.object({
  vehicleId: z.string(),
  deviceId: DeviceId,
  routeId: z.string().nullable(),
  lat: z.number(),
  lon: z.number(),
  speedKmh: z.number().nullable(),
  courseDeg: z.number().nullable(),
  ts: IsoUtc,
  receivedAt: IsoUtc,
  /** true when no position has arrived for STALE_AFTER_MS */
  stale: z.boolean(),
  demo: z.boolean(),
});
export type VehicleState = z.infer<typeof VehicleState>;

/** One stored position of a vehicle's track. */
export const TrackPoint = z.object({
  ts: IsoUtc,
  deviceId: z.string(),
  lat: z.number(),
  lon: z.number(),
  speedKmh: z.number().nullable(),
  courseDeg: z.number().nullable(),
  fix: z.boolean(),
});
export type TrackPoint = z.infer<typeof TrackPoint>;

export const TrackQuery = z.strictObject({
  from: z.iso.datetime({ offset: true }).optional().describe('ISO 8601; default 24 h before `to`'),
  to: z.iso.datetime({ offset: true }).optional().describe('ISO 8601; default now'),
  limit: z.coerce.number().int().min(1).max(100_000).default(20_000),
});

export const STALE_AFTER_MS = 120_000;
