/** Small-area geometry: within one city an equirectangular projection is accurate to centimetres. */

export type LatLon = readonly [lat: number, lon: number];

const R = 6_371_008.8;
const RAD = Math.PI / 180;

export function distanceM(a: LatLon, b: LatLon): number {
  const k = Math.cos(((a[0] + b[0]) / 2) * RAD);
  const dx = (b[1] - a[1]) * RAD * k * R;
  const dy = (b[0] - a[0]) * RAD * R;
  return Math.hypot(dx, dy);
}

/** Initial bearing from a to b, degrees clockwise from north in [0, 360). */
export function bearingDeg(a: LatLon, b: LatLon): number {
  const k = Math.cos(((a[0] + b[0]) / 2) * RAD);
  const dx = (b[1] - a[1]) * k;
  const dy = b[0] - a[0];
  const deg = Math.atan2(dx, dy) / RAD;
  return (deg + 360) % 360;
}

/** Smallest absolute difference of two bearings, in degrees [0, 180]. */
export function angleDiffDeg(a: number, b: number): number {
  const d = Math.abs(a - b) % 360;
  return d > 180 ? 360 - d : d;
}

/** Moves a point by metres east and north. */
export function offsetM(p: LatLon, eastM: number, northM: number): [number, number] {
  return [p[0] + northM / (R * RAD), p[1] + eastM / (R * RAD * Math.cos(p[0] * RAD))];
}

/** Inserts vertices so that no segment is longer than maxStepM: the line keeps its shape. */
export function densify(points: readonly LatLon[], maxStepM: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < points.length; i++) {
    const p = points[i]!;
    if (i === 0) {
      out.push([p[0], p[1]]);
      continue;
    }
    const q = points[i - 1]!;
    const n = Math.max(1, Math.ceil(distanceM(q, p) / maxStepM));
    for (let j = 1; j <= n; j++) out.push([q[0] + ((p[0] - q[0]) * j) / n, q[1] + ((p[1] - q[1]) * j) / n]);
  }
  return out;
}

/** A polyline prepared for lookups by distance along it. */
export class Polyline {
  readonly points: ReadonlyArray<readonly [number, number]>;
  /** cumulative distance in metres at each vertex; cum[0] = 0 */
  readonly cum: Float64Array;
  readonly lengthM: number;
  private readonly bearings: Float64Array;

  constructor(points: ReadonlyArray<readonly [number, number]>) {
    if (points.length < 2) throw new Error('a polyline needs at least two points');
    this.points = points;
    this.cum = new Float64Array(points.length);
    this.bearings = new Float64Array(points.length - 1);
    for (let i = 1; i < points.length; i++) {
      this.cum[i] = this.cum[i - 1]! + distanceM(points[i - 1]!, points[i]!);
      this.bearings[i - 1] = bearingDeg(points[i - 1]!, points[i]!);
    }
    this.lengthM = this.cum[points.length - 1]!;
  }

  /**
   * Index of the segment under distance s. `arriving` picks, at a vertex, the segment that ends
   * there (a vehicle that has just driven along it) rather than the one that starts there.
   */
  segmentAt(s: number, arriving: boolean): number {
    const last = this.points.length - 2;
    if (s <= 0) return 0;
    if (s >= this.lengthM) return last;
    let lo = 0;
    let hi = this.points.length - 1;
    // invariant: cum[lo] <= s < cum[hi] (or <= for arriving)
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      const c = this.cum[mid]!;
      if (c < s || (!arriving && c === s)) lo = mid;
      else hi = mid;
    }
    return Math.min(lo, last);
  }

  pointAt(s: number): [number, number] {
    const i = this.segmentAt(s, false);
    const a = this.points[i]!;
    const b = this.points[i + 1]!;
    const len = this.cum[i + 1]! - this.cum[i]!;
    const f = len > 0 ? Math.min(1, Math.max(0, (s - this.cum[i]!) / len)) : 0;
    return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f];
  }

  /** Bearing of travel at s, forward along the line or backward. */
  bearingAt(s: number, forward: boolean): number {
    // Forward travel arriving at a vertex came along the segment that ends there; backward
    // travel at a vertex came along the segment that starts there.
    const i = this.segmentAt(s, forward);
    const b = this.bearings[i]!;
    return forward ? b : (b + 180) % 360;
  }

  /** Distance in metres from p to the nearest point of the line (for checks, not hot paths). */
  distanceTo(p: LatLon): number {
    let best = Infinity;
    const k = Math.cos(p[0] * RAD) * RAD * R;
    const m = RAD * R;
    for (let i = 0; i + 1 < this.points.length; i++) {
      const a = this.points[i]!;
      const b = this.points[i + 1]!;
      const ax = (a[1] - p[1]) * k;
      const ay = (a[0] - p[0]) * m;
      const bx = (b[1] - p[1]) * k;
      const by = (b[0] - p[0]) * m;
      const dx = bx - ax;
      const dy = by - ay;
      const l2 = dx * dx + dy * dy;
      const t = l2 > 0 ? Math.min(1, Math.max(0, -(ax * dx + ay * dy) / l2)) : 0;
      best = Math.min(best, Math.hypot(ax + t * dx, ay + t * dy));
    }
    return best;
  }
}
