/**
 * A trip's path as a polyline in local metres (an equirectangular projection around its first
 * point: under 0.1 % error across a city), with the cumulative distance at every vertex and a
 * grid of segments, so projecting a position looks at a handful of segments, not all of them.
 * A projection allocates nothing but its answer.
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
  /**
   * The grid over the shape's bounding box of cells, stored flat: the segments of cell
   * (gx, gy) are `cellSegs[cellStart[k] .. cellStart[k + 1]]`, in increasing order, where k is
   * c = gy · gridW + gx itself (a look-up is two subtractions and an index, not a hash) or, for
   * a box mostly empty, `slotOf.get(c)`.
   */
  private readonly gridX0: number;
  private readonly gridY0: number;
  private readonly gridW: number;
  private readonly gridH: number;
  private readonly cellStart: Int32Array;
  private readonly cellSegs: Int32Array;
  private readonly slotOf: Map<number, number> | undefined;
  /** the candidates of the last query (see `candidates`), reused while the position and `fromM` repeat */
  private readonly memo: Candidates = { lat: Number.NaN, lon: Number.NaN, fromM: Number.NaN, count: 0, best: Infinity, segs: new Int32Array(0), progress: new Float64Array(0), off: new Float64Array(0) };
  /** segments already taken in the current query (== `stamp`), to visit each once */
  private seen: Int32Array | undefined;
  private stamp = 0;

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
    // Each segment goes into every cell of its bounding box; counted first, then filled.
    let gx0 = Infinity;
    let gy0 = Infinity;
    let gx1 = -Infinity;
    let gy1 = -Infinity;
    for (let i = 0; i < n; i++) {
      gx0 = Math.min(gx0, Math.floor(this.xs[i]! / CELL_M));
      gx1 = Math.max(gx1, Math.floor(this.xs[i]! / CELL_M));
      gy0 = Math.min(gy0, Math.floor(this.ys[i]! / CELL_M));
      gy1 = Math.max(gy1, Math.floor(this.ys[i]! / CELL_M));
    }
    this.gridX0 = gx0;
    this.gridY0 = gy0;
    this.gridW = gx1 - gx0 + 1;
    this.gridH = gy1 - gy0 + 1;
    const eachCell = (s: number, f: (c: number) => void) => {
      const x0 = Math.floor(Math.min(this.xs[s]!, this.xs[s + 1]!) / CELL_M) - gx0;
      const x1 = Math.floor(Math.max(this.xs[s]!, this.xs[s + 1]!) / CELL_M) - gx0;
      const y0 = Math.floor(Math.min(this.ys[s]!, this.ys[s + 1]!) / CELL_M) - gy0;
      const y1 = Math.floor(Math.max(this.ys[s]!, this.ys[s + 1]!) / CELL_M) - gy0;
      for (let cx = x0; cx <= x1; cx++) for (let cy = y0; cy <= y1; cy++) f(cy * this.gridW + cx);
    };
    // Slots: every cell of the box when that is not much more than the cells in use (a city
    // route), else only the cells in use, found through a map (a long intercity route).
    const used = new Map<number, number>();
    for (let s = 0; s < n - 1; s++) eachCell(s, (c) => used.set(c, (used.get(c) ?? 0) + 1));
    const dense = this.gridW * this.gridH <= Math.max(4_096, 16 * used.size);
    if (!dense) this.slotOf = new Map([...used.keys()].map((c, i) => [c, i]));
    const slot = (c: number): number => (this.slotOf ? this.slotOf.get(c)! : c);
    const start = new Int32Array((dense ? this.gridW * this.gridH : used.size) + 1);
    for (const [c, k] of used) start[slot(c) + 1] = k;
    for (let c = 1; c < start.length; c++) start[c]! += start[c - 1]!;
    this.cellStart = start;
    this.cellSegs = new Int32Array(start[start.length - 1]!);
    const fill = start.slice(0, -1);
    for (let s = 0; s < n - 1; s++) eachCell(s, (c) => { this.cellSegs[fill[slot(c)]!++] = s; });
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
    const c = this.candidates(lat, lon, opts.fromM);
    if (c.count === 0) {
      // Everything near lies behind `fromM`: project without that bound.
      return this.project(lat, lon, opts.hintM !== undefined ? { hintM: opts.hintM } : {});
    }
    const hint = opts.hintM;
    const limit = c.best + 25;
    let pick = 0;
    let pickScore = Infinity;
    for (let k = 0; k < c.count; k++) {
      if (c.off[k]! > limit) continue;
      const score = hint === undefined ? c.off[k]! : Math.abs(c.progress[k]! - hint);
      if (score < pickScore) {
        pickScore = score;
        pick = k;
      }
    }
    const s = c.segs[pick]!;
    return { progressM: c.progress[pick]!, offM: c.off[pick]!, segment: s, bearingDeg: this.bearing(s) };
  }

  /**
   * Every segment near the position (its grid cell and the eight around it; every segment when
   * none is near) projected, those wholly behind `fromM` left out and the part behind it clamped.
   * In the order the cells list them; remembered for the next query with the same position and
   * `fromM` (candidate trips of one pattern share the shape and differ only in their hint).
   */
  private candidates(lat: number, lon: number, fromM: number | undefined): Candidates {
    const m = this.memo;
    if (m.lat === lat && m.lon === lon && (fromM === undefined ? Number.isNaN(m.fromM) : m.fromM === fromM)) return m;
    const x = (lon - this.lon0) * this.kx;
    const y = (lat - this.lat0) * EARTH_M * RAD;
    const nSeg = this.xs.length - 1;
    const seen = (this.seen ??= new Int32Array(nSeg));
    const stamp = ++this.stamp;
    m.lat = Number.NaN;
    m.count = 0;
    m.best = Infinity;
    const gx = Math.floor(x / CELL_M) - this.gridX0;
    const gy = Math.floor(y / CELL_M) - this.gridY0;
    let near = 0;
    for (let i = -1; i <= 1; i++) {
      const cx = gx + i;
      if (cx < 0 || cx >= this.gridW) continue;
      for (let j = -1; j <= 1; j++) {
        const cy = gy + j;
        if (cy < 0 || cy >= this.gridH) continue;
        const cell = this.slotOf ? this.slotOf.get(cy * this.gridW + cx) : cy * this.gridW + cx;
        if (cell === undefined) continue;
        for (let k = this.cellStart[cell]!; k < this.cellStart[cell + 1]!; k++) {
          const s = this.cellSegs[k]!;
          if (seen[s] === stamp) continue;
          seen[s] = stamp;
          near++;
          this.consider(m, s, x, y, fromM);
        }
      }
    }
    // Far from the path (over a cell away): every segment, to say how far.
    if (near === 0) for (let s = 0; s < nSeg; s++) this.consider(m, s, x, y, fromM);
    m.lat = lat;
    m.lon = lon;
    m.fromM = fromM ?? Number.NaN;
    return m;
  }

  private consider(m: Candidates, s: number, x: number, y: number, fromM: number | undefined): void {
    if (fromM !== undefined && this.cum[s + 1]! < fromM) return;
    const ax = this.xs[s]!;
    const ay = this.ys[s]!;
    const dx = this.xs[s + 1]! - ax;
    const dy = this.ys[s + 1]! - ay;
    const len2 = dx * dx + dy * dy;
    let t = len2 > 0 ? ((x - ax) * dx + (y - ay) * dy) / len2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    let progress = this.cum[s]! + t * Math.sqrt(len2);
    let off: number;
    if (fromM !== undefined && progress < fromM) {
      // Clamp: the part of this segment behind `fromM` does not count.
      const len = this.cum[s + 1]! - this.cum[s]!;
      const tc = len > 0 ? (fromM - this.cum[s]!) / len : 0;
      progress = fromM;
      off = Math.hypot(x - (ax + tc * dx), y - (ay + tc * dy));
    } else {
      off = Math.hypot(x - (ax + t * dx), y - (ay + t * dy));
    }
    if (m.count === m.segs.length) {
      const size = Math.max(16, m.count * 2);
      const segs = new Int32Array(size);
      const prog = new Float64Array(size);
      const offs = new Float64Array(size);
      segs.set(m.segs);
      prog.set(m.progress);
      offs.set(m.off);
      m.segs = segs;
      m.progress = prog;
      m.off = offs;
    }
    m.segs[m.count] = s;
    m.progress[m.count] = progress;
    m.off[m.count] = off;
    m.count++;
    if (off < m.best) m.best = off;
  }

  /**
   * Where each stop lies along the path, in order: each projected no earlier than the one
   * before, so a loop's start and end stop (the same place) get 0 and the full length.
   */
  stopDistances(stops: readonly { lat: number; lon: number }[]): Float64Array {
    const out = new Float64Array(stops.length);
    const nSeg = this.xs.length - 1;
    const c: Candidates = { lat: Number.NaN, lon: Number.NaN, fromM: Number.NaN, count: 0, best: Infinity, segs: new Int32Array(nSeg), progress: new Float64Array(nSeg), off: new Float64Array(nSeg) };
    let from = 0;
    for (let i = 0; i < stops.length; i++) {
      const [x, y] = this.toXy(stops[i]!.lat, stops[i]!.lon);
      // Forward from the previous stop; the earliest match within 30 m of the nearest wins, so a
      // street the path comes back along later does not pull the stop (and all after it) ahead.
      c.count = 0;
      c.best = Infinity;
      for (let s = 0; s < nSeg; s++) this.consider(c, s, x, y, from);
      let pick = -1;
      for (let k = 0; k < c.count; k++) {
        if (c.off[k]! <= c.best + 30) {
          pick = k;
          break;
        }
      }
      out[i] = pick >= 0 ? c.progress[pick]! : from;
      from = out[i]!;
    }
    return out;
  }
}

/** A query's projected segments, in parallel arrays (`count` of them), and the smallest distance among them. */
interface Candidates {
  lat: number;
  lon: number;
  /** NaN: no bound */
  fromM: number;
  count: number;
  best: number;
  segs: Int32Array;
  progress: Float64Array;
  off: Float64Array;
}

/** The smallest angle between two bearings, 0–180. */
export function angleBetween(a: number, b: number): number {
  const d = Math.abs(((a - b) % 360 + 360) % 360);
  return d > 180 ? 360 - d : d;
}
