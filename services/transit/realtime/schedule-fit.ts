/**
 * How a position along a trip fits the trip's timetable: the scheduled instant at a progress,
 * and the expected progress at an instant. Pure functions of a trip instance and its geometry.
 */
import { arrivalMs, departureMs, type TripInstance } from '../schedule/active-trips.ts';
import type { TripGeometry } from '../matching/trip-geometry.ts';

/** Within this many metres of a stop's point a vehicle is at the stop. */
export const AT_STOP_M = 20;

/**
 * The scheduled window [earliest, latest] for being at `progressM`: at a stop, from its arrival
 * to its departure (before the first stop, any time up to the departure); between stops, the
 * instant interpolated by distance.
 */
export function scheduledWindow(inst: TripInstance, g: TripGeometry, progressM: number): [number, number] {
  const d = g.stopDistM;
  const n = d.length;
  if (progressM <= d[0]! + AT_STOP_M) return [-Infinity, departureMs(inst, 0)];
  if (progressM >= d[n - 1]! - AT_STOP_M) return [arrivalMs(inst, n - 1), arrivalMs(inst, n - 1)];
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (d[mid]! <= progressM) lo = mid;
    else hi = mid;
  }
  if (Math.abs(progressM - d[lo]!) <= AT_STOP_M) return [arrivalMs(inst, lo), departureMs(inst, lo)];
  if (Math.abs(d[hi]! - progressM) <= AT_STOP_M) return [arrivalMs(inst, hi), departureMs(inst, hi)];
  const from = departureMs(inst, lo);
  const to = arrivalMs(inst, hi);
  const span = d[hi]! - d[lo]!;
  const at = span > 0 ? from + ((progressM - d[lo]!) / span) * (to - from) : from;
  return [at, at];
}

/** Seconds behind the timetable at `progressM` at `tMs` (negative: early); 0 within a stop's dwell window. */
export function delaySeconds(inst: TripInstance, g: TripGeometry, progressM: number, tMs: number): number {
  const [earliest, latest] = scheduledWindow(inst, g, progressM);
  if (tMs > latest) return (tMs - latest) / 1000;
  if (tMs < earliest) return (tMs - earliest) / 1000;
  return 0;
}

/** Where the timetable puts the vehicle at `tMs`, in metres along the trip. */
export function scheduledProgress(inst: TripInstance, g: TripGeometry, tMs: number): number {
  const d = g.stopDistM;
  const n = d.length;
  if (tMs <= departureMs(inst, 0)) return d[0]!;
  for (let i = 1; i < n; i++) {
    const arr = arrivalMs(inst, i);
    if (tMs <= arr) {
      const dep = departureMs(inst, i - 1);
      return arr > dep ? d[i - 1]! + ((tMs - dep) / (arr - dep)) * (d[i]! - d[i - 1]!) : d[i]!;
    }
    if (tMs <= departureMs(inst, i)) return d[i]!;
  }
  return d[n - 1]!;
}
