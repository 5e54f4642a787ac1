/**
 * A vehicle's day played back: its stored positions replayed, in order, through a fresh
 * realtime engine whose clock is each position's time, so every position gets the trip and
 * delay the hub's own matching makes of it (TheTransitClock's playback). Pure logic: the feed,
 * the zone and the positions come in. A dispatcher's manual assignment is not in the history,
 * so the replay shows the hub's automatic matching.
 */
import type { GtfsFeed } from '../gtfs/model.ts';
import { RealtimeEngine, type PositionInput } from './engine.ts';

export interface PlaybackInput extends PositionInput {
  deviceId: string;
}

export interface ReplayedPoint {
  ts: number;
  lat: number;
  lon: number;
  speedKmh: number | null;
  courseDeg: number | null;
  tripId: string | null;
  routeId: string | null;
  delayS: number | null;
}

/** `points` in time order; `routeOf` gives the route a device was registered on (null: any). */
export function replayDay(feed: GtfsFeed | undefined, zone: string, vehicleId: string, points: readonly PlaybackInput[], routeOf: (deviceId: string) => string | null): ReplayedPoint[] {
  let clock = 0;
  const engine = new RealtimeEngine(() => feed, () => clock, zone);
  const out: ReplayedPoint[] = [];
  for (const p of points) {
    clock = p.ts;
    engine.onPosition(vehicleId, p.deviceId, routeOf(p.deviceId), p);
    const s = engine.tripState(vehicleId);
    const onTrip = s?.tripId ? s : undefined;
    out.push({
      ts: p.ts, lat: p.lat, lon: p.lon, speedKmh: p.speedKmh ?? null, courseDeg: p.courseDeg ?? null,
      tripId: onTrip?.tripId ?? null, routeId: onTrip?.routeId ?? null, delayS: onTrip?.delayS == null ? null : Math.round(onTrip.delayS),
    });
  }
  return out;
}
