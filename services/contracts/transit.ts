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

/** The numeric fields `quickPosition` checks, with the bounds of PositionPayload: [min, max, integer]. */
const QUICK_NUMBERS = new Map<string, [number, number, boolean]>([
  ['lat', [-90, 90, false]], ['lon', [-180, 180, false]], ['speedKmh', [0, 400, false]], ['courseDeg', [0, 360, false]],
  ['altitudeM', [-500, 10_000, false]], ['hdop', [0, 100, false]], ['odometerKm', [0, Number.MAX_VALUE, false]], ['satellites', [0, 255, true]],
]);
const QUICK_BOOLEANS = new Set(['fix', 'ignition']);
const QUICK_MIN_TS = Date.UTC(2000, 0, 1);

/**
 * The position of a parsed JSON payload when it is plainly valid: epoch-ms `ts`, `lat`, `lon`,
 * and only plain numeric and boolean fields within PositionPayload's bounds. Anything else
 * (an ISO `ts`, `io`, a value out of range, an unknown key) gives undefined, and the zod schema
 * decides and names the problem. It accepts a subset of what the schema accepts and gives the
 * same value (test/unit/contracts.test.ts checks both on random payloads): the schema is the
 * contract; this is the common case at 20k messages a second, at a fifth of the cost.
 */
export function quickPosition(json: Record<string, unknown>): Position | undefined {
  const { ts } = json;
  if (typeof ts !== 'number' || !Number.isInteger(ts) || ts < QUICK_MIN_TS || ts > 8.64e15) return undefined;
  if (typeof json.lat !== 'number' || typeof json.lon !== 'number') return undefined;
  for (const key in json) {
    if (key === 'ts') continue;
    const value = json[key];
    if (QUICK_BOOLEANS.has(key)) {
      if (typeof value !== 'boolean') return undefined;
      continue;
    }
    const bounds = QUICK_NUMBERS.get(key);
    if (bounds === undefined || typeof value !== 'number' || !Number.isFinite(value)) return undefined;
    if (value < bounds[0] || value > bounds[1] || (bounds[2] && !Number.isInteger(value))) return undefined;
  }
  return json as Position;
}

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
  /** the GTFS trip the vehicle runs (assigned by the hub or a dispatcher), null when none */
  tripId: z.string().nullable().optional(),
  /** seconds behind the timetable (negative: early) */
  delayS: z.number().nullable().optional(),
  /** metres along the trip's shape */
  progressM: z.number().nullable().optional(),
  /** more than 100 m from the trip's shape for more than 60 s */
  offRoute: z.boolean().optional(),
  /** Skate's rating of the gap to the vehicle ahead on the route and direction */
  headway: z.enum(['very-bunched', 'bunched', 'ok', 'gapped', 'very-gapped']).nullable().optional(),
});
export type VehicleState = z.infer<typeof VehicleState>;

export const HeadwayRating = z.enum(['very-bunched', 'bunched', 'ok', 'gapped', 'very-gapped']);
export type HeadwayRating = z.infer<typeof HeadwayRating>;

/** The gap to the vehicle ahead, measured when the vehicle passed a stop. */
export const Headway = z.object({
  actualS: z.number(),
  scheduledS: z.number(),
  /** actual ÷ scheduled */
  ratio: z.number(),
  rating: HeadwayRating,
  leaderVehicleId: z.string(),
  stopId: z.string(),
  at: IsoUtc,
});
export type Headway = z.infer<typeof Headway>;

/** A GTFS id as it appears in a URL or a body. */
const GtfsId = z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters');

/** One arrival on a stop's board (`GET /api/v1/transit/stops/:stopId/arrivals`, `/stops` event `arrivals`). */
export const StopArrival = z.object({
  routeId: z.string(),
  routeShortName: z.string(),
  headsign: z.string(),
  tripId: z.string(),
  /** null when no vehicle runs the trip (yet): the time is the timetable's */
  vehicleId: z.string().nullable(),
  arrivalTime: IsoUtc,
  /** whole minutes from generatedAt, rounded down: 0 means arriving */
  minutes: z.number().int().min(0),
  realtime: z.boolean(),
});
export type StopArrival = z.infer<typeof StopArrival>;

export const StopBoard = z.object({
  stopId: z.string(),
  generatedAt: IsoUtc,
  arrivals: z.array(StopArrival),
});
export type StopBoard = z.infer<typeof StopBoard>;

export const StopIdParams = z.object({ stopId: GtfsId });
export const VehicleIdParams = z.object({ vehicleId: z.string().min(1).max(120) });

/** `PUT /api/v1/transit/vehicles/:vehicleId/assignment` */
export const AssignmentBody = z.strictObject({ tripId: GtfsId });

/** A vehicle's trip, as the hub follows it. */
export const VehicleTrip = z.object({
  vehicleId: z.string(),
  tripId: z.string().nullable(),
  routeId: z.string().nullable(),
  directionId: z.union([z.literal(0), z.literal(1)]).nullable(),
  /** YYYYMMDD, the trip's service date */
  startDate: z.string().nullable(),
  /** HH:MM:SS, the trip's scheduled start (may pass 24:00:00) */
  startTime: z.string().nullable(),
  /** assigned by a dispatcher */
  manual: z.boolean(),
  delayS: z.number().nullable(),
  progressM: z.number().nullable(),
  /** metres from the trip's shape */
  offRouteM: z.number().nullable(),
  offRoute: z.boolean(),
  /** no position for 150 s */
  stale: z.boolean(),
  headway: Headway.nullable(),
  lastPositionAt: IsoUtc.nullable(),
  nextStops: z.array(z.object({ stopId: z.string(), name: z.string(), stopSequence: z.number(), arrivalTime: IsoUtc, scheduledArrivalTime: IsoUtc })),
});
export type VehicleTrip = z.infer<typeof VehicleTrip>;

/** `GET /api/v1/transit/headways`: per route and direction, the vehicles in order of their last passage. */
export const RouteHeadways = z.object({
  routeId: z.string(),
  directionId: z.union([z.literal(0), z.literal(1)]),
  vehicles: z.array(z.object({ vehicleId: z.string(), tripId: z.string(), progressM: z.number(), delayS: z.number(), headway: Headway.nullable() })),
});
export type RouteHeadways = z.infer<typeof RouteHeadways>;

/** Kinds of operations alert: headways (bunching, gap), adherence (early, late), off-route, a silent tracker, a trip nobody runs. */
export const OpsAlertKind = z.enum(['bunching', 'gap', 'early', 'late', 'off-route', 'stale-tracker', 'no-vehicle']);
export type OpsAlertKind = z.infer<typeof OpsAlertKind>;
/** open: raised, nobody acknowledged it; acknowledged: a dispatcher saw it, the cause goes on; cleared: the cause ended. */
export const OpsAlertState = z.enum(['open', 'acknowledged', 'cleared']);
export type OpsAlertState = z.infer<typeof OpsAlertState>;

/** An operations alert for dispatchers (`GET /api/v1/transit/ops-alerts`, event `opsAlerts` on `/transit`). */
export const OpsAlert = z.object({
  id: z.number().int(),
  kind: OpsAlertKind,
  state: OpsAlertState,
  vehicleId: z.string().nullable(),
  tripId: z.string().nullable(),
  routeId: z.string().nullable(),
  /** the measure behind it: delay s (late, early), metres (off-route), silence s (stale-tracker), headway ratio (bunching, gap), minutes since due (no-vehicle) */
  value: z.number(),
  message: z.string(),
  raisedAt: IsoUtc,
  /** the last time the cause was seen */
  lastSeenAt: IsoUtc,
  acknowledgedAt: IsoUtc.nullable(),
  acknowledgedBy: z.string().nullable(),
  clearedAt: IsoUtc.nullable(),
});
export type OpsAlert = z.infer<typeof OpsAlert>;

/** `GET /api/v1/transit/ops-alerts?state=`: `active` (open and acknowledged, the default), one state, or `all`; newest first. */
export const OpsAlertQuery = z.strictObject({
  state: z.enum(['active', 'open', 'acknowledged', 'cleared', 'all']).default('active'),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});
export const OpsAlertIdParams = z.object({ id: z.coerce.number().int().positive() });

const AlertText = z.strictObject({
  uk: z.string().trim().min(1, 'the Ukrainian text must not be empty').max(1000, 'at most 1000 characters'),
  en: z.string().trim().min(1, 'must not be empty when given').max(1000, 'at most 1000 characters').optional(),
});
const IsoInstant = z.string().refine((v) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(v) && !Number.isNaN(Date.parse(v)), 'must be an ISO 8601 instant with a zone, e.g. 2026-11-27T08:00:00Z');

/** `POST /api/v1/transit/service-alerts` (and `PUT …/:id`): a notice for riders on routes and stops, in force from `start` to `end`. */
export const ServiceAlertBody = z
  .strictObject({
    routeIds: z.array(GtfsId).max(200, 'at most 200 routes').default([]),
    stopIds: z.array(GtfsId).max(500, 'at most 500 stops').default([]),
    /** null or absent: from now */
    start: IsoInstant.nullable().default(null),
    /** null or absent: until ended */
    end: IsoInstant.nullable().default(null),
    header: AlertText,
    description: AlertText.optional(),
  })
  .superRefine((b, ctx) => {
    if (!b.routeIds.length && !b.stopIds.length) ctx.addIssue({ code: 'custom', path: ['routeIds'], message: 'name at least one route or stop' });
    if (b.start && b.end && Date.parse(b.end) <= Date.parse(b.start)) ctx.addIssue({ code: 'custom', path: ['end'], message: 'must be after start' });
  });
export type ServiceAlertBody = z.infer<typeof ServiceAlertBody>;

export const ServiceAlert = z.object({
  id: z.number().int(),
  routeIds: z.array(z.string()),
  stopIds: z.array(z.string()),
  start: IsoUtc.nullable(),
  end: IsoUtc.nullable(),
  header: z.object({ uk: z.string(), en: z.string().optional() }),
  description: z.object({ uk: z.string(), en: z.string().optional() }).optional(),
  /** upcoming (start later), active, ended (end passed) */
  state: z.enum(['upcoming', 'active', 'ended']),
  createdAt: IsoUtc,
  createdBy: z.string(),
  updatedAt: IsoUtc,
  updatedBy: z.string(),
});
export type ServiceAlert = z.infer<typeof ServiceAlert>;
export const ServiceAlertQuery = z.strictObject({ state: z.enum(['current', 'ended', 'all']).default('current') });
export const ServiceAlertIdParams = z.object({ id: z.coerce.number().int().positive() });

/** `PUT /api/v1/transit/displays/:principal/stops`: the stops a `display` token may read. */
export const DisplayStopsBody = z.strictObject({ stopIds: z.array(GtfsId).max(500, 'at most 500 stops') });
export const DisplayStops = z.object({ principal: z.string(), stopIds: z.array(z.string()) });

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

/** `GET /api/v1/transit/stops`: every stop of the GTFS feed the hub runs on, with the routes that serve it. */
export const TransitStop = z.object({
  stopId: z.string(),
  name: z.string(),
  lat: z.number(),
  lon: z.number(),
  code: z.string().optional(),
  /** the name in other languages, from the feed's translations.txt: `{en: "Railway Station"}` */
  names: z.record(z.string(), z.string()).optional(),
  routeIds: z.array(z.string()),
});
export type TransitStop = z.infer<typeof TransitStop>;

/** One direction of a route: its line and its stops in order (from the direction's longest trip). */
export const TransitRouteDirection = z.object({
  directionId: z.union([z.literal(0), z.literal(1)]).nullable(),
  headsign: z.string().nullable(),
  shapeId: z.string().nullable(),
  /** [lat, lon] pairs from the feed's shape (or the stops joined when the feed has none) */
  shape: z.array(z.tuple([z.number(), z.number()])),
  stopIds: z.array(z.string()),
});

/** `GET /api/v1/transit/routes`: the routes of the feed, for the map. */
export const TransitRoute = z.object({
  routeId: z.string(),
  shortName: z.string(),
  longName: z.string(),
  /** the long name in other languages, from translations.txt */
  longNames: z.record(z.string(), z.string()).optional(),
  /** GTFS route_type: 3 bus, 11 trolleybus, 0 tram, … */
  type: z.number(),
  /** `#RRGGBB`, or null when the feed gives none */
  color: z.string().nullable(),
  textColor: z.string().nullable(),
  directions: z.array(TransitRouteDirection),
  stops: z.array(z.object({ stopId: z.string(), name: z.string(), names: z.record(z.string(), z.string()).optional(), lat: z.number(), lon: z.number() })),
});
export type TransitRoute = z.infer<typeof TransitRoute>;

/** `POST /api/v1/transit/gtfs` (a zip) answers this when the feed was valid and is now in use. */
export const GtfsImportResult = z.object({
  loadedAt: IsoUtc,
  routes: z.number().int(),
  stops: z.number().int(),
  trips: z.number().int(),
  /** problems that did not stop the import, e.g. `trips.txt: trip "x" has no stop_times` */
  warnings: z.array(z.string()),
});
export type GtfsImportResult = z.infer<typeof GtfsImportResult>;

/** `GET /api/v1/transit/map`: what the dispatch map draws under the routes. */
export const TransitMapConfig = z.object({
  /** a tile URL template on the hub (`/map/tiles/{z}/{x}/{y}`), or null: lines and stops only */
  tileUrl: z.string().nullable(),
});
export type TransitMapConfig = z.infer<typeof TransitMapConfig>;

/** `GET /api/v1/transit/vehicles/:vehicleId/day?date=`: a local day (CITY_TZ), at most PLAYBACK_MAX_POINTS positions. */
export const PlaybackQuery = z.strictObject({
  date: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
    .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'is not a calendar date')
    .optional()
    .describe('the local day in the city\'s zone, YYYY-MM-DD; default today'),
});
export const PLAYBACK_MAX_POINTS = 20_000;

/** One position of a vehicle's day with what the hub's matching makes of it, replayed from history. */
export const PlaybackPoint = z.object({
  ts: IsoUtc,
  lat: z.number(),
  lon: z.number(),
  speedKmh: z.number().nullable(),
  courseDeg: z.number().nullable(),
  tripId: z.string().nullable(),
  routeId: z.string().nullable(),
  /** seconds behind the timetable (negative: early), null on no trip */
  delayS: z.number().nullable(),
});
export type PlaybackPoint = z.infer<typeof PlaybackPoint>;

export const PlaybackDay = z.object({
  vehicleId: z.string(),
  /** YYYY-MM-DD, local */
  date: z.string(),
  /** the local day's bounds, UTC */
  from: IsoUtc,
  to: IsoUtc,
  /** more than PLAYBACK_MAX_POINTS positions: the first of them only */
  truncated: z.boolean(),
  points: z.array(PlaybackPoint),
});
export type PlaybackDay = z.infer<typeof PlaybackDay>;
