import type { GtfsFeed, GtfsStopTime, GtfsTrip } from '../gtfs/model.ts';
import { ShapeGeometry } from './shape-geometry.ts';

/** A trip's path and where each of its stop_times lies along it. */
export interface TripGeometry {
  shape: ShapeGeometry;
  /** metres along `shape` of each stop_time, in stop_sequence order */
  stopDistM: Float64Array;
}

/**
 * Geometry per trip pattern (shape + stops), built on first use and kept while the feed is
 * loaded: trips of one pattern share it. A trip without a shape runs on the straight lines
 * between its stops.
 */
export class TripGeometries {
  private readonly byPattern = new Map<string, TripGeometry | null>();
  private readonly byTrip = new Map<string, TripGeometry | null>();

  constructor(private readonly feed: GtfsFeed) {}

  of(trip: GtfsTrip): TripGeometry | undefined {
    const cached = this.byTrip.get(trip.tripId);
    if (cached !== undefined) return cached ?? undefined;
    const stopTimes = this.feed.stopTimes.get(trip.tripId) ?? [];
    const key = `${trip.shapeId ?? ''}|${stopTimes.map((s) => s.stopId).join(',')}`;
    let g = this.byPattern.get(key);
    if (g === undefined) {
      g = this.build(trip, stopTimes);
      this.byPattern.set(key, g);
    }
    this.byTrip.set(trip.tripId, g);
    return g ?? undefined;
  }

  private build(trip: GtfsTrip, stopTimes: readonly GtfsStopTime[]): TripGeometry | null {
    const stops = stopTimes.map((st) => this.feed.stops.get(st.stopId));
    if (stops.length < 2 || stops.some((s) => !s)) return null;
    const points = trip.shapeId ? this.feed.shapes.get(trip.shapeId) : undefined;
    try {
      const shape = new ShapeGeometry(points && points.length >= 2 ? points : (stops as { lat: number; lon: number }[]));
      return { shape, stopDistM: shape.stopDistances(stops as { lat: number; lon: number }[]) };
    } catch {
      return null;
    }
  }
}
