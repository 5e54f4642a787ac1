/**
 * The GTFS-Realtime feeds (VehiclePositions, TripUpdates, Alerts) from the engine's state.
 * Written against MobilityData's gtfs-realtime-validator rules: POSIX seconds (E001); ids of
 * the static feed (E003, E004, E011); no entity newer than the header (E012); times increasing
 * along a trip (E022) and departure ≥ arrival (E025); valid positions and bearings (E026/E027);
 * vehicles away from the network left out (E028); a trip named only while the vehicle is within
 * 200 m of its shape (E029); one entity per vehicle (E052); timestamps everywhere (W001);
 * vehicle ids in TripUpdates (W002); a header made when asked (W008).
 */
import GtfsRealtimeBindings from 'gtfs-realtime-bindings';
import type { GtfsFeed } from '../gtfs/model.ts';
import type { TripInstance } from '../schedule/active-trips.ts';
import type { RealtimeEngine, VehicleSnapshot } from './engine.ts';

const rt = GtfsRealtimeBindings.transit_realtime;
type FeedMessage = GtfsRealtimeBindings.transit_realtime.IFeedMessage;
type TripDescriptor = GtfsRealtimeBindings.transit_realtime.ITripDescriptor;

/** E029's buffer: beyond it a vehicle's position does not name its trip. */
export const TRIP_BUFFER_M = 200;
/** E028's buffer around the network (stops and shapes). */
export const REGION_BUFFER_M = 1_609;
/** Vehicles silent for longer are left out of VehiclePositions. */
const MAX_POSITION_AGE_MS = 15 * 60_000;

/** A service alert as the feed carries it. */
export interface ServiceAlertInput {
  id: string;
  routeIds: readonly string[];
  stopIds: readonly string[];
  startMs: number | null;
  endMs: number | null;
  header: { uk: string; en?: string };
  description?: { uk: string; en?: string };
}

const seconds = (ms: number) => Math.floor(ms / 1000);

function header(nowMs: number): GtfsRealtimeBindings.transit_realtime.IFeedHeader {
  return { gtfsRealtimeVersion: '2.0', incrementality: rt.FeedHeader.Incrementality.FULL_DATASET, timestamp: seconds(nowMs) };
}

function tripDescriptor(inst: TripInstance): TripDescriptor {
  const unscheduled = inst.frequency && inst.frequency.exactTimes === 0;
  return {
    tripId: inst.trip.tripId, routeId: inst.trip.routeId, ...(inst.trip.directionId !== undefined ? { directionId: inst.trip.directionId } : {}),
    startDate: inst.serviceDate, startTime: inst.startTime,
    scheduleRelationship: unscheduled ? rt.TripDescriptor.ScheduleRelationship.UNSCHEDULED : rt.TripDescriptor.ScheduleRelationship.SCHEDULED,
  };
}

/** The network's bounding box, widened by REGION_BUFFER_M; cached per feed. */
const regions = new WeakMap<GtfsFeed, { minLat: number; maxLat: number; minLon: number; maxLon: number }>();
function region(feed: GtfsFeed) {
  let r = regions.get(feed);
  if (!r) {
    let minLat = 90;
    let maxLat = -90;
    let minLon = 180;
    let maxLon = -180;
    const add = (lat: number, lon: number) => {
      minLat = Math.min(minLat, lat);
      maxLat = Math.max(maxLat, lat);
      minLon = Math.min(minLon, lon);
      maxLon = Math.max(maxLon, lon);
    };
    for (const s of feed.stops.values()) add(s.lat, s.lon);
    for (const pts of feed.shapes.values()) for (const p of pts) add(p.lat, p.lon);
    const dLat = REGION_BUFFER_M / 111_195;
    const dLon = dLat / Math.max(0.01, Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180));
    r = { minLat: minLat - dLat, maxLat: maxLat + dLat, minLon: minLon - dLon, maxLon: maxLon + dLon };
    regions.set(feed, r);
  }
  return r;
}

function inRegion(feed: GtfsFeed, v: { lat: number; lon: number }): boolean {
  const r = region(feed);
  return v.lat >= r.minLat && v.lat <= r.maxLat && v.lon >= r.minLon && v.lon <= r.maxLon;
}

const valid = (v: VehicleSnapshot) => Number.isFinite(v.lat) && Number.isFinite(v.lon) && Math.abs(v.lat) <= 90 && Math.abs(v.lon) <= 180;

export function vehiclePositions(engine: RealtimeEngine, nowMs: number): FeedMessage {
  const feed = engine.feed();
  const entity: GtfsRealtimeBindings.transit_realtime.IFeedEntity[] = [];
  for (const v of engine.snapshot()) {
    if (!valid(v) || nowMs - v.tsMs > MAX_POSITION_AGE_MS) continue;
    if (feed && !inRegion(feed, v)) continue;
    const named = v.run && v.run.offM <= TRIP_BUFFER_M && !v.stale ? v.run : undefined;
    const next = named?.predictions[0];
    entity.push({
      id: v.vehicleId,
      vehicle: {
        vehicle: { id: v.vehicleId },
        position: {
          latitude: v.lat, longitude: v.lon,
          ...(v.courseDeg !== null && v.courseDeg >= 0 && v.courseDeg <= 360 ? { bearing: v.courseDeg } : {}),
          ...(v.speedKmh !== null ? { speed: v.speedKmh / 3.6 } : {}),
        },
        timestamp: seconds(Math.min(v.tsMs, nowMs)),
        ...(named ? { trip: tripDescriptor(named.inst) } : {}),
        ...(named && next ? { currentStopSequence: next.stopSequence, stopId: next.stopId, currentStatus: rt.VehiclePosition.VehicleStopStatus.IN_TRANSIT_TO } : {}),
      },
    });
  }
  return { header: header(nowMs), entity };
}

export function tripUpdates(engine: RealtimeEngine, nowMs: number): FeedMessage {
  const entity: GtfsRealtimeBindings.transit_realtime.IFeedEntity[] = [];
  for (const v of engine.snapshot()) {
    const run = v.run;
    // As in VehiclePositions: a vehicle far from its shape names no trip (W003 wants the two to agree).
    if (!run || v.stale || run.offM > TRIP_BUFFER_M || run.predictions.length === 0) continue;
    const last = run.inst.stopTimes.length - 1;
    entity.push({
      id: `${run.inst.key}#${v.vehicleId}`,
      tripUpdate: {
        trip: tripDescriptor(run.inst),
        vehicle: { id: v.vehicleId },
        timestamp: seconds(Math.min(v.tsMs, nowMs)),
        delay: Math.round(run.delayS),
        stopTimeUpdate: run.predictions.map((p) => ({
          stopSequence: p.stopSequence, stopId: p.stopId,
          arrival: { time: seconds(p.arrivalMs) },
          ...(p.index < last ? { departure: { time: seconds(p.departureMs) } } : {}),
          scheduleRelationship: rt.TripUpdate.StopTimeUpdate.ScheduleRelationship.SCHEDULED,
        })),
      },
    });
  }
  return { header: header(nowMs), entity };
}

function translated(t: { uk: string; en?: string }): GtfsRealtimeBindings.transit_realtime.ITranslatedString {
  return { translation: [{ text: t.uk, language: 'uk' }, ...(t.en ? [{ text: t.en, language: 'en' }] : [])] };
}

/** Alerts not yet over, with their active period. */
export function alerts(list: readonly ServiceAlertInput[], nowMs: number): FeedMessage {
  const entity = list
    .filter((a) => a.endMs === null || a.endMs > nowMs)
    .map((a) => ({
      id: a.id,
      alert: {
        activePeriod: [{ ...(a.startMs !== null ? { start: seconds(a.startMs) } : {}), ...(a.endMs !== null ? { end: seconds(a.endMs) } : {}) }],
        informedEntity: [...a.routeIds.map((routeId) => ({ routeId })), ...a.stopIds.map((stopId) => ({ stopId }))],
        headerText: translated(a.header),
        ...(a.description ? { descriptionText: translated(a.description) } : {}),
      },
    }));
  return { header: header(nowMs), entity };
}

export const encodeFeed = (m: FeedMessage): Uint8Array => rt.FeedMessage.encode(rt.FeedMessage.fromObject(m)).finish();

/** The same message for people: enums by name, 64-bit numbers as numbers. */
export const feedJson = (m: FeedMessage): unknown => rt.FeedMessage.toObject(rt.FeedMessage.fromObject(m), { enums: String, longs: Number });
