/**
 * A trip's path as a polyline in local metres (an equirectangular projection around its first
 * point: under 0.1 % error across a city), with the cumulative distance at every vertex and a
 * grid of segments, so projecting a position looks at a handful of segments, not all of them.
 */

const EARTH_M = 6_371_008.8;
const RAD = Math.PI / 180;
/** Grid cell size: a position is compared with the segments of its cell and the eight around it. */
const CELL_M = 250;

export interface Projection {
  /** metres along the path from its start */
  progressM: number;
  /** metres from the path */
  offM: number;
  /** the segment index (vertex i to i + 1) */
  segment: number;
  /** the path's bearing there, degrees clockwise from north */
  bearingDeg: number;
}

export class ShapeGeometry {
  readonly xs: Float64Array;
  readonly ys: Float64Array;
  /** cumulative metres at each vertex */
  readonly cum: Float64Array;
  readonly lengthM: number;
  private readonly lat0: number;
  private readonly lon0: number;
  private readonly kx: number;
  private readonly grid = new Map<number, number[]>();

  constructor(points: readonly { lat: number; lon: number }[]) {
    if (points.length < 2) throw new Error('a shape needs at least two points');
    this.lat0 = points[0]!.lat;
    this.lon0 = points[0]!.lon;
    this.kx = Math.cos(this.lat0 * RAD) * EARTH_M * RAD;
    const n = points.length;
    this.xs = new Float64Array(n);
    this.ys = new Float64Array(n);
    this.cum = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const [x, y] = this.toXy(points[i]!.lat, points[i]!.lon);
      this.xs[i] = x;
      this.ys[i] = y;
      if (i > 0) this.cum[i] = this.cum[i - 1]! + Math.hypot(x - this.xs[i - 1]!, y - this.ys[i - 1]!);
    }
    this.lengthM = this.cum[n - 1]!;
    for (let s = 0; s < n - 1; s++) {
      const x0 = Math.floor(Math.min(this.xs[s]!, this.xs[s + 1]!) / CELL_M);
      const x1 = Math.floor(Math.max(this.xs[s]!, this.xs[s + 1]!) / CELL_M);
      const y0 = Math.floor(Math.min(this.ys[s]!, this.ys[s + 1]!) / CELL_M);
      const y1 = Math.floor(Math.max(this.ys[s]!, this.ys[s + 1]!) / CELL_M);
      for (let cx = x0; cx <= x1; cx++) {
        for (let cy = y0; cy <= y1; cy++) {
          const k = cellKey(cx, cy);
          (this.grid.get(k) ?? this.grid.set(k, []).get(k)!).push(s);
        }
      }
    }
  }

  toXy(lat: number, lon: number): [number, number] {
    return [(lon - this.lon0) * this.kx, (lat - this.lat0) * EARTH_M * RAD];
  }

  /** The point `progressM` along the path. */
  pointAt(progressM: number): { lat: number; lon: number } {
    const d = Math.min(Math.max(progressM, 0), this.lengthM);
    let lo = 0;
    let hi = this.cum.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (this.cum[mid]! <= d) lo = mid;
      else hi = mid;
    }
    const len = this.cum[hi]! - this.cum[lo]!;
    const t = len > 0 ? (d - this.cum[lo]!) / len : 0;
    const x = this.xs[lo]! + t * (this.xs[hi]! - this.xs[lo]!);
    const y = this.ys[lo]! + t * (this.ys[hi]! - this.ys[lo]!);
    return { lat: this.lat0 + y / (EARTH_M * RAD), lon: this.lon0 + x / this.kx };
  }

  private projectOnSegment(s: number, x: number, y: number): { progressM: number; offM: number } {
    const ax = this.xs[s]!;
    const ay = this.ys[s]!;
    const dx = this.xs[s + 1]! - ax;
    const dy = this.ys[s + 1]! - ay;
    const len2 = dx * dx + dy * dy;
    let t = len2 > 0 ? ((x - ax) * dx + (y - ay) * dy) / len2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    const px = ax + t * dx;
    const py = ay + t * dy;
    return { progressM: this.cum[s]! + t * Math.sqrt(len2), offM: Math.hypot(x - px, y - py) };
  }

  private bearing(s: number): number {
    const deg = Math.atan2(this.xs[s + 1]! - this.xs[s]!, this.ys[s + 1]! - this.ys[s]!) / RAD;
    return (deg + 360) % 360;
  }

  /**
   * Projects a position onto the path. Where the path passes the same place twice (a loop, an
   * out-and-back street), candidates within 25 m of the nearest are told apart by `hintM` (the
   * expected progress) and `fromM` (progress never goes back more than a little).
   */
  project(lat: number, lon: number, opts: { hintM?: number; fromM?: number } = {}): Projection {
    const [x, y] = this.toXy(lat, lon);
    const cx = Math.floor(x / CELL_M);
    const cy = Math.floor(y / CELL_M);
    const near = new Set<number>();
    for (let i = -1; i <= 1; i++) for (let j = -1; j <= 1; j++) for (const s of this.grid.get(cellKey(cx + i, cy + j)) ?? []) near.add(s);
    // Far from the path (over a cell away): every segment, to say how far.
    const segments: Iterable<number> = near.size ? near : range(this.xs.length - 1);
    const found: { s: number; progressM: number; offM: number }[] = [];
    let best = Infinity;
    for (const s of segments) {
      if (opts.fromM !== undefined && this.cum[s + 1]! < opts.fromM) continue;
      const p = this.projectOnSegment(s, x, y);
      if (opts.fromM !== undefined && p.progressM < opts.fromM) {
        // Clamp: the part of this segment behind `fromM` does not count.
        const q = this.clampTo(s, opts.fromM, x, y);
        found.push({ s, ...q });
        best = Math.min(best, q.offM);
        continue;
      }
      found.push({ s, ...p });
      best = Math.min(best, p.offM);
    }
    if (!found.length) {
      // Everything near lies behind `fromM`: project without that bound.
      return this.project(lat, lon, opts.hintM !== undefined ? { hintM: opts.hintM } : {});
    }
    let pick = found[0]!;
    let pickScore = Infinity;
    for (const f of found) {
      if (f.offM > best + 25) continue;
      const score = opts.hintM === undefined ? f.offM : Math.abs(f.progressM - opts.hintM);
      if (score < pickScore) {
        pickScore = score;
        pick = f;
      }
    }
    return { progressM: pick.progressM, offM: pick.offM, segment: pick.s, bearingDeg: this.bearing(pick.s) };
  }

  private clampTo(s: number, fromM: number, x: number, y: number): { progressM: number; offM: number } {
    const len = this.cum[s + 1]! - this.cum[s]!;
    const t = len > 0 ? (fromM - this.cum[s]!) / len : 0;
    const px = this.xs[s]! + t * (this.xs[s + 1]! - this.xs[s]!);
    const py = this.ys[s]! + t * (this.ys[s + 1]! - this.ys[s]!);
    return { progressM: fromM, offM: Math.hypot(x - px, y - py) };
  }

  /**
   * Where each stop lies along the path, in order: each projected no earlier than the one
   * before, so a loop's start and end stop (the same place) get 0 and the full length.
   */
  stopDistances(stops: readonly { lat: number; lon: number }[]): Float64Array {
    const out = new Float64Array(stops.length);
    let from = 0;
    for (let i = 0; i < stops.length; i++) {
      const [x, y] = this.toXy(stops[i]!.lat, stops[i]!.lon);
      // Forward from the previous stop; the earliest match within 30 m of the nearest wins, so a
      // street the path comes back along later does not pull the stop (and all after it) ahead.
      const candidates: { progressM: number; offM: number }[] = [];
      let bestOff = Infinity;
      for (let s = 0; s < this.xs.length - 1; s++) {
        if (this.cum[s + 1]! < from) continue;
        const p = this.projectOnSegment(s, x, y);
        const q = p.progressM < from ? this.clampTo(s, from, x, y) : p;
        candidates.push(q);
        bestOff = Math.min(bestOff, q.offM);
      }
      const pick = candidates.find((c) => c.offM <= bestOff + 30);
      out[i] = pick ? pick.progressM : from;
      from = out[i]!;
    }
    return out;
  }
}

function cellKey(cx: number, cy: number): number {
  return (cx + 0x8000) * 0x10000 + (cy + 0x8000);
}

function* range(n: number): Iterable<number> {
  for (let i = 0; i < n; i++) yield i;
}

/** The smallest angle between two bearings, 0–180. */
export function angleBetween(a: number, b: number): number {
  const d = Math.abs(((a - b) % 360 + 360) % 360);
  return d > 180 ? 360 - d : d;
}
