/**
 * The headway strip of one route and direction, as pure layout: the vehicles placed along a
 * line by their progress on the trip's shape, and the gap behind each vehicle to the one ahead
 * coloured by Skate's rating of its headway (actual ÷ scheduled, as the hub measured it when the
 * follower last passed a stop). No DOM here: the page draws what this returns.
 */
import type { HeadwayRating, RouteHeadways } from '../../services/contracts/transit.ts';

export interface StripMark {
  vehicleId: string;
  tripId: string;
  /** 0 at the first stop … 1 at the last */
  x: number;
  delayS: number;
}

export interface StripGap {
  /** the vehicle ahead (further along) and the one behind it */
  leaderId: string;
  followerId: string;
  /** the gap's extent along the line, 0 … 1, from < to */
  from: number;
  to: number;
  /** the follower's rating and ratio; null when no headway is measured yet */
  rating: HeadwayRating | null;
  ratio: number | null;
}

export interface StripLayout {
  routeId: string;
  directionId: 0 | 1;
  marks: StripMark[];
  gaps: StripGap[];
}

/** Metres along a [lat, lon] polyline (haversine). */
export function lineLengthM(points: ReadonlyArray<readonly [number, number]>): number {
  const R = 6_371_000;
  const rad = Math.PI / 180;
  let sum = 0;
  for (let i = 1; i < points.length; i++) {
    const [lat1, lon1] = points[i - 1]!;
    const [lat2, lon2] = points[i]!;
    const a = Math.sin(((lat2 - lat1) * rad) / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lon2 - lon1) * rad) / 2) ** 2;
    sum += 2 * R * Math.asin(Math.min(1, Math.sqrt(a)));
  }
  return sum;
}

/**
 * Lays out one group of `GET /api/v1/transit/headways`. `lengthM` is the direction's shape
 * length; without one (or shorter than the furthest vehicle) the furthest vehicle sets the scale.
 * Marks come furthest along first; a gap lies between each pair of neighbours.
 */
export function layoutStrip(group: RouteHeadways, lengthM: number | null): StripLayout {
  const vehicles = [...group.vehicles].sort((a, b) => b.progressM - a.progressM || a.vehicleId.localeCompare(b.vehicleId));
  const furthest = Math.max(0, ...vehicles.map((v) => v.progressM));
  const scale = lengthM && lengthM >= furthest ? lengthM : furthest;
  const at = (m: number) => (scale > 0 ? Math.min(1, Math.max(0, m / scale)) : 0);
  const marks = vehicles.map((v) => ({ vehicleId: v.vehicleId, tripId: v.tripId, x: at(v.progressM), delayS: v.delayS }));
  const gaps: StripGap[] = [];
  for (let i = 1; i < vehicles.length; i++) {
    const h = vehicles[i]!.headway;
    gaps.push({ leaderId: vehicles[i - 1]!.vehicleId, followerId: vehicles[i]!.vehicleId, from: marks[i]!.x, to: marks[i - 1]!.x, rating: h?.rating ?? null, ratio: h?.ratio ?? null });
  }
  return { routeId: group.routeId, directionId: group.directionId, marks, gaps };
}

/** Colours of the ratings: red for very bunched and very gapped, amber for bunched and gapped. */
export const RATING_COLORS: Record<HeadwayRating | 'none', string> = {
  'very-bunched': '#e5484d',
  bunched: '#f5a524',
  ok: '#46a758',
  gapped: '#f5a524',
  'very-gapped': '#e5484d',
  none: '#8b98a5',
};
