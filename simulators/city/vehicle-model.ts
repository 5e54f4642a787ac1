/**
 * A vehicle driving its route back and forth: accelerating out of stops, cruising at street
 * speeds, dwelling at stops, laying over at the termini. Position is a pure function of time:
 * the day is cut into laps of a fixed length per route, so vehicles of a route keep their
 * spacing for ever and a restarted simulator puts every vehicle exactly where it was.
 */
import type { PositionPayload } from '../../services/contracts/index.ts';
import { offsetM, Polyline } from './geo.ts';
import { SIM_EPOCH_MS } from './kyiv-time.ts';
import { between, hashString, unit } from './random.ts';
import type { Route } from './routes.ts';

const ACCEL = 0.9; // m/s², a loaded trolleybus pulling away
const DECEL = 1.1; // m/s², service braking
export const MIN_CRUISE_KMH = 20;
export const MAX_CRUISE_KMH = 50;
const NOMINAL_CRUISE_KMH = 30;
export const MIN_DWELL_S = 15;
export const MAX_DWELL_S = 40;
const NOMINAL_LAYOVER_S = 240;

export type VehiclePhase = 'moving' | 'dwell' | 'layover';

export interface VehicleSample {
  ts: number;
  lat: number;
  lon: number;
  speedKmh: number;
  courseDeg: number;
  satellites: number;
  hdop: number;
  altitudeM: number;
  odometerKm: number;
  phase: VehiclePhase;
  /** true while driving from the first terminus to the last */
  outbound: boolean;
  /** metres along the route's polyline, without GPS noise */
  distanceM: number;
  /** the stop the vehicle stands at (dwell or layover), else null */
  stopId: string | null;
  lap: number;
}

interface Leg {
  fromM: number;
  toM: number;
  /** cruise speed, m/s */
  cruise: number;
  /** time to drive the leg, s */
  driveS: number;
  /** standing time at the end of the leg, s (a layover at the terminus) */
  standS: number;
  standKind: 'dwell' | 'layover';
  stopIndex: number;
}

interface Lap {
  index: number;
  /** standing at the first terminus before the first leg, s */
  firstLayoverS: number;
  legs: Leg[];
}

/** Time to drive distance d starting and ending at rest, with cruise speed v (m/s). */
export function driveTime(d: number, v: number): number {
  if (d <= 0) return 0;
  const accelD = (v * v) / (2 * ACCEL);
  const decelD = (v * v) / (2 * DECEL);
  if (accelD + decelD <= d) return v / ACCEL + v / DECEL + (d - accelD - decelD) / v;
  const peak = Math.sqrt((2 * d * ACCEL * DECEL) / (ACCEL + DECEL));
  return peak / ACCEL + peak / DECEL;
}

/** Distance covered and speed at time t into a leg of length d at cruise v. */
export function driveAt(d: number, v: number, t: number): { x: number; speed: number } {
  const accelD = (v * v) / (2 * ACCEL);
  const decelD = (v * v) / (2 * DECEL);
  let peak = v;
  let cruiseS = 0;
  if (accelD + decelD <= d) cruiseS = (d - accelD - decelD) / v;
  else peak = Math.sqrt((2 * d * ACCEL * DECEL) / (ACCEL + DECEL));
  const ta = peak / ACCEL;
  const td = peak / DECEL;
  if (t <= 0) return { x: 0, speed: 0 };
  if (t < ta) return { x: 0.5 * ACCEL * t * t, speed: ACCEL * t };
  const xa = 0.5 * ACCEL * ta * ta;
  if (t < ta + cruiseS) return { x: xa + peak * (t - ta), speed: peak };
  const left = ta + cruiseS + td - t;
  if (left <= 0) return { x: d, speed: 0 };
  return { x: Math.max(0, d - 0.5 * DECEL * left * left), speed: DECEL * left };
}

export interface VehicleModelOptions {
  route: Route;
  /** the device (or vehicle) id: seeds this vehicle's own variation */
  key: string;
  /** position of this vehicle among the route's vehicles, 0-based, and how many there are */
  index: number;
  count: number;
  seed?: number;
}

export class VehicleModel {
  readonly route: Route;
  readonly line: Polyline;
  /** one round trip, seconds; the same for every vehicle of the route */
  readonly lapS: number;
  private readonly seed: number;
  private readonly offsetS: number;
  private readonly odometerBaseKm: number;
  private readonly legLengths: Array<{ fromM: number; toM: number; stopIndex: number }>;
  private lapCache: Lap | null = null;

  constructor(opts: VehicleModelOptions) {
    this.route = opts.route;
    this.line = new Polyline(opts.route.polyline);
    this.seed = (hashString(opts.key) ^ Math.imul(opts.seed ?? 1, 0x9e3779b1)) >>> 0;
    const stops = opts.route.stops;
    if (stops.length < 2) throw new Error(`route ${opts.route.id} needs two stops`);
    this.legLengths = [];
    for (let i = 0; i + 1 < stops.length; i++) this.legLengths.push({ fromM: stops[i]!.atM, toM: stops[i + 1]!.atM, stopIndex: i + 1 });
    for (let i = stops.length - 1; i > 0; i--) this.legLengths.push({ fromM: stops[i]!.atM, toM: stops[i - 1]!.atM, stopIndex: i - 1 });

    const v = NOMINAL_CRUISE_KMH / 3.6;
    const drive = this.legLengths.reduce((s, l) => s + driveTime(Math.abs(l.toM - l.fromM), v), 0);
    const dwells = (this.legLengths.length - 2) * ((MIN_DWELL_S + MAX_DWELL_S) / 2);
    this.lapS = Math.round(drive + dwells + 2 * NOMINAL_LAYOVER_S);

    const routeSeed = hashString(opts.route.id) ^ (opts.seed ?? 1);
    const headway = this.lapS / Math.max(1, opts.count);
    // Even spacing with a little irregularity, as on real lines.
    this.offsetS = opts.index * headway + between(-0.1, 0.1, this.seed, 1) * headway + between(0, this.lapS, routeSeed, 2);
    this.odometerBaseKm = Math.round(between(40_000, 400_000, this.seed, 3));
  }

  /** The plan of lap k: per-leg speeds and dwells, scaled so the lap lasts exactly lapS. */
  private lap(k: number): Lap {
    if (this.lapCache?.index === k) return this.lapCache;
    const n = this.legLengths.length;
    const weights = this.legLengths.map((_, j) => between(0.8, 1.2, this.seed, k, j, 10));
    const stands = this.legLengths.map((_, j) => (j === n / 2 - 1 || j === n - 1 ? 0 : between(MIN_DWELL_S, MAX_DWELL_S, this.seed, k, j, 11)));
    const dwellSum = stands.reduce((a, b) => a + b, 0);
    const cruiseFor = (scale: number, j: number) =>
      Math.min(MAX_CRUISE_KMH, Math.max(MIN_CRUISE_KMH, scale * weights[j]! * NOMINAL_CRUISE_KMH)) / 3.6;
    const driveFor = (scale: number) =>
      this.legLengths.reduce((s, l, j) => s + driveTime(Math.abs(l.toM - l.fromM), cruiseFor(scale, j)), 0);
    // The terminus layovers absorb the lap's variation; speeds stretch only to keep them sane.
    const layoverTarget = between(0.75, 1.25, this.seed, k, 12) * NOMINAL_LAYOVER_S;
    const driveBudget = this.lapS - dwellSum - 2 * layoverTarget;
    let lo = 0.3;
    let hi = 3;
    for (let i = 0; i < 40; i++) {
      const mid = (lo + hi) / 2;
      if (driveFor(mid) > driveBudget) lo = mid;
      else hi = mid;
    }
    const drive = driveFor(hi);
    let scaleDwell = 1;
    let layoverEach = (this.lapS - dwellSum - drive) / 2;
    if (layoverEach < 30) {
      // Cannot happen with the built-in ranges; kept so that a lap never overruns its slot.
      scaleDwell = Math.max(0, (this.lapS - drive - 60) / dwellSum);
      layoverEach = 30;
    }
    const legs: Leg[] = this.legLengths.map((l, j) => {
      const cruise = cruiseFor(hi, j);
      const isLayover = j === n / 2 - 1 || j === n - 1;
      return {
        fromM: l.fromM,
        toM: l.toM,
        cruise,
        driveS: driveTime(Math.abs(l.toM - l.fromM), cruise),
        standS: isLayover ? (j === n - 1 ? 0 : layoverEach) : stands[j]! * scaleDwell,
        standKind: isLayover ? 'layover' : 'dwell',
        stopIndex: l.stopIndex,
      };
    });
    // The last leg ends the lap at the first terminus; the rest of the lap is the layover there.
    const used = legs.reduce((s, l) => s + l.driveS + l.standS, 0);
    const lap: Lap = { index: k, firstLayoverS: Math.max(0, this.lapS - used), legs };
    this.lapCache = lap;
    return lap;
  }

  sample(ms: number): VehicleSample {
    const u = (ms - SIM_EPOCH_MS) / 1000 + this.offsetS;
    const k = Math.floor(u / this.lapS);
    let t = u - k * this.lapS;
    const lap = this.lap(k);
    const stops = this.route.stops;
    const len = this.line.lengthM;

    let s = 0;
    let speed = 0;
    let phase: VehiclePhase = 'layover';
    let outbound = true;
    let stopId: string | null = stops[0]!.id;
    let travelled = 0;
    if (t >= lap.firstLayoverS) {
      t -= lap.firstLayoverS;
      for (let j = 0; j < lap.legs.length; j++) {
        const leg = lap.legs[j]!;
        const d = Math.abs(leg.toM - leg.fromM);
        const dir = leg.toM >= leg.fromM ? 1 : -1;
        outbound = dir > 0;
        if (t < leg.driveS) {
          const at = driveAt(d, leg.cruise, t);
          s = leg.fromM + dir * at.x;
          speed = at.speed;
          phase = 'moving';
          stopId = null;
          travelled += at.x;
          break;
        }
        t -= leg.driveS;
        travelled += d;
        s = leg.toM;
        if (t < leg.standS || j === lap.legs.length - 1) {
          phase = leg.standKind;
          stopId = stops[leg.stopIndex]!.id;
          break;
        }
        t -= leg.standS;
      }
    }

    // Standing at the first terminus at the start of a lap: facing the way it will leave.
    return {
      ...gpsFix(this.seed, ms, this.line, s, outbound, speed),
      odometerKm: this.odometerBaseKm + (k * 2 * len + travelled) / 1000,
      phase,
      outbound,
      distanceM: s,
      stopId,
      lap: k,
    };
  }

  /** The MQTT payload of `v1/transit/{deviceId}/position` at the instant. */
  position(ms: number): PositionPayload {
    return toPositionPayload(this.sample(ms));
  }
}

const round = (x: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

export function toPositionPayload(s: VehicleSample): PositionPayload {
  return {
    ts: new Date(s.ts).toISOString(),
    lat: round(s.lat, 6),
    lon: round(s.lon, 6),
    speedKmh: round(s.speedKmh, 1),
    courseDeg: round(s.courseDeg, 1) % 360,
    altitudeM: s.altitudeM,
    satellites: s.satellites,
    hdop: round(s.hdop, 1),
    fix: true,
    ignition: true,
    odometerKm: round(s.odometerKm, 3),
  };
}

/**
 * What a GPS receiver on the vehicle reports at distance `s` along `line`: the point with a
 * couple of metres of scatter (as a real receiver reports even when standing still), the
 * heading, a slightly noisy speed, satellites, HDOP and the altitude of the terrain there.
 */
export function gpsFix(seed: number, ms: number, line: Polyline, s: number, forward: boolean, speedMs: number) {
  const [lat0, lon0] = line.pointAt(Math.min(line.lengthM, Math.max(0, s)));
  const second = Math.floor(ms / 1000);
  const [lat, lon] = offsetM([lat0, lon0], between(-2, 2, seed, second, 20), between(-2, 2, seed, second, 21));
  let speedKmh = speedMs * 3.6;
  if (speedKmh > 3) speedKmh = Math.min(MAX_CRUISE_KMH, Math.max(0, speedKmh + between(-0.5, 0.5, seed, second, 22)));
  // The Inhul valley is about 110 m above sea level, the plateaus about 170 m.
  const altitudeM = Math.round(112 + Math.min(50, Math.abs(lon - 32.247) * 1100 + Math.abs(lat - 48.51) * 400) + between(-2, 2, seed, second, 23));
  return {
    ts: ms, lat, lon, speedKmh, courseDeg: line.bearingAt(s, forward),
    satellites: 7 + Math.floor(unit(seed, second, 24) * 7),
    hdop: between(0.6, 1.4, seed, second, 25),
    altitudeM,
  };
}
