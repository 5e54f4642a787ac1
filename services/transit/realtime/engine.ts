/**
 * The realtime engine of transit: for every position it matches the vehicle to its trip's shape,
 * keeps (or finds) the trip it runs, records stop passages (learning travel times and headways)
 * and predicts its arrival at every stop still ahead. Pure logic: the clock and the city's zone
 * come in; nothing here reads a socket or a file.
 */
import type { GtfsFeed, GtfsStopTime } from '../gtfs/model.ts';
import { ActiveTrips, FeedIndex, arrivalMs, departureMs, type TripInstance } from '../schedule/active-trips.ts';
import { LocalHours } from '../schedule/service-day.ts';
import { angleBetween, type Projection } from '../matching/shape-geometry.ts';
import { TripGeometries, type TripGeometry } from '../matching/trip-geometry.ts';
import { ON_ROUTE, nextOffRoute, type OffRouteState } from '../matching/off-route.ts';
import { AT_STOP_M, delaySeconds, scheduledProgress } from './schedule-fit.ts';
import { TravelTimes, runKey } from './travel-times.ts';
import { rateHeadway, type HeadwayRating } from './headway.ts';

/** A tracker is stale when its last position is older than this (Skate's 150 s). */
export const TRACKER_STALE_MS = 150_000;
/** A candidate trip further than this from the position is not considered. */
const CANDIDATE_MAX_OFF_M = 150;
/** A candidate's schedule misfit (seconds-equivalent) above which no trip is assigned. */
const MAX_SCORE = 1_800;
/** Positions older than this when they arrive (a black box's backlog) do not move predictions. */
const MAX_AGE_MS = 5 * 60_000;
/** Consecutive better evaluations before an automatic assignment changes to another trip. */
const SWITCH_AFTER = 3;
const SWITCH_MARGIN = 120;
/** Gaps between positions longer than this are not learned from. */
const MAX_LEARN_GAP_MS = 120_000;
/** An automatic trip is given up this long after its scheduled end. */
const TRIP_GRACE_MS = 30 * 60_000;

export interface PositionInput {
  ts: number;
  lat: number;
  lon: number;
  speedKmh?: number | null;
  courseDeg?: number | null;
}

export interface StopPrediction {
  /** index into the trip's stop_times */
  index: number;
  stopId: string;
  stopSequence: number;
  arrivalMs: number;
  departureMs: number;
  scheduledArrivalMs: number;
}

export interface HeadwayState {
  /** seconds since the vehicle ahead passed the same stop */
  actualS: number;
  scheduledS: number;
  ratio: number;
  rating: HeadwayRating;
  leaderVehicleId: string;
  stopId: string;
  atMs: number;
}

interface TripRun {
  inst: TripInstance;
  geom: TripGeometry;
  manual: boolean;
  progressM: number;
  offM: number;
  off: OffRouteState;
  /** index of the first stop not yet departed */
  next: number;
  arrMs: (number | undefined)[];
  depMs: (number | undefined)[];
  delayS: number;
  score: number;
  /**
   * The predictions, kept flat (every position replaces them; objects made for each would
   * outlive the young generation and load the garbage collector): arrival and departure of stop
   * i at `predArr[i]`, `predDep[i]` for i from `predFrom` (n: none) to the last stop.
   */
  predFrom: number;
  predArr: Float64Array;
  predDep: Float64Array;
  /** the same as StopPrediction objects, made when first asked for after each refresh */
  predictions: StopPrediction[] | undefined;
}

interface Vehicle {
  vehicleId: string;
  deviceId: string;
  routeId: string | null;
  lat: number;
  lon: number;
  speedKmh: number | null;
  courseDeg: number | null;
  tsMs: number;
  positions: number;
  run?: TripRun;
  challenger?: { key: string; count: number };
  /** instances this vehicle finished: not to be matched again */
  finished: Set<string>;
  headway?: HeadwayState;
}

/** The trip-related part of a vehicle's live state. */
export interface VehicleTripState {
  vehicleId: string;
  tripId: string | null;
  routeId: string | null;
  directionId: 0 | 1 | null;
  startDate: string | null;
  startTime: string | null;
  manual: boolean;
  delayS: number | null;
  progressM: number | null;
  offRouteM: number | null;
  offRoute: boolean;
  /** no position for TRACKER_STALE_MS */
  stale: boolean;
  headway: HeadwayState | null;
  lastPositionMs: number;
}

export interface VehicleSnapshot {
  vehicleId: string;
  deviceId: string;
  lat: number;
  lon: number;
  speedKmh: number | null;
  courseDeg: number | null;
  tsMs: number;
  stale: boolean;
  run?: { inst: TripInstance; offM: number; predictions: readonly StopPrediction[]; progressM: number; delayS: number };
}

export interface BoardEntry {
  routeId: string;
  routeShortName: string;
  headsign: string;
  tripId: string;
  vehicleId: string | null;
  arrivalMs: number;
  realtime: boolean;
}

/**
 * How badly a position fits a trip, in seconds-equivalent: the distance from its timetable
 * (being early costs twice: vehicles run late far more often) plus metres off the shape. At the
 * first stop a vehicle waits: the earliest departure not yet made fits best, a passed one costs a
 * tenth of its lateness (a late departure is usual) and a later one a fifth of the wait.
 */
export function fitScore(inst: TripInstance, geom: TripGeometry, progressM: number, offM: number, tMs: number): number {
  if (progressM <= geom.stopDistM[0]! + AT_STOP_M) {
    const lateS = (tMs - departureMs(inst, 0)) / 1000;
    return (lateS >= 0 ? lateS / 10 : -lateS / 5) + offM;
  }
  const delay = delaySeconds(inst, geom, progressM, tMs);
  return (delay >= 0 ? delay : -2 * delay) + offM;
}

export class AssignmentError extends Error {
  constructor(readonly statusCode: 400 | 404 | 409, message: string, readonly field: string) {
    super(message);
  }
}

interface FeedState {
  feed: GtfsFeed;
  index: FeedIndex;
  active: ActiveTrips;
  geometries: TripGeometries;
}

export class RealtimeEngine {
  private state: FeedState | undefined;
  private readonly vehicles = new Map<string, Vehicle>();
  /** vehicle by trip instance it runs */
  private readonly runners = new Map<string, string>();
  /** manual assignments by vehicle (trip id), kept until deleted or the trip ends */
  private readonly manual = new Map<string, string>();
  /** the last passage per route, direction and stop, for headways */
  private readonly passages = new Map<string, { ms: number; vehicleId: string; scheduledMs: number }>();
  private readonly hours: LocalHours;
  /** stops whose board may have changed since the last `takeDirtyStops` */
  private readonly dirtyStops = new Set<string>();
  /** the travel-time key of each segment (stop i − 1 to stop i at index i), per stop_times list */
  private readonly segmentKeys = new WeakMap<readonly GtfsStopTime[], string[]>();
  readonly travel: TravelTimes;

  constructor(
    private readonly feedGetter: () => GtfsFeed | undefined,
    private readonly now: () => number,
    readonly zone: string,
    travel?: TravelTimes,
  ) {
    this.hours = new LocalHours(zone);
    this.travel = travel ?? new TravelTimes();
  }

  /** The feed and its indexes; rebuilt (and every automatic assignment dropped) when the feed changes. */
  private feedState(): FeedState | undefined {
    const feed = this.feedGetter();
    if (!feed) {
      if (this.state) this.reset();
      this.state = undefined;
      return undefined;
    }
    if (this.state?.feed !== feed) {
      if (this.state) this.reset();
      const index = new FeedIndex(feed);
      this.state = { feed, index, active: new ActiveTrips(index, this.zone), geometries: new TripGeometries(feed) };
    }
    return this.state;
  }

  private reset(): void {
    for (const v of this.vehicles.values()) {
      if (v.run) this.markRunStops(v.run);
      v.run = undefined;
      v.challenger = undefined;
      v.finished.clear();
    }
    this.runners.clear();
    this.passages.clear();
  }

  feed(): GtfsFeed | undefined {
    return this.feedState()?.feed;
  }

  onPosition(vehicleId: string, deviceId: string, routeId: string | null | undefined, p: PositionInput): void {
    let v = this.vehicles.get(vehicleId);
    if (v && p.ts <= v.tsMs) return;
    const prev = v ? { ts: v.tsMs } : undefined;
    if (!v) {
      v = { vehicleId, deviceId, routeId: routeId ?? null, lat: p.lat, lon: p.lon, speedKmh: null, courseDeg: null, tsMs: p.ts, positions: 0, finished: new Set() };
      this.vehicles.set(vehicleId, v);
    }
    v.deviceId = deviceId;
    v.routeId = routeId ?? null;
    v.lat = p.lat;
    v.lon = p.lon;
    v.speedKmh = p.speedKmh ?? null;
    v.courseDeg = p.courseDeg ?? null;
    v.tsMs = p.ts;
    v.positions++;
    const fs = this.feedState();
    if (!fs || this.now() - p.ts > MAX_AGE_MS) return;

    const manualTrip = this.manual.get(vehicleId);
    if (manualTrip && (!v.run || !v.run.manual || v.run.inst.trip.tripId !== manualTrip)) {
      const inst = this.nearestInstance(fs, manualTrip, p.ts);
      if (inst) this.start(fs, v, inst, true, p);
    }
    if (v.run) {
      if (!v.run.manual && (p.ts > v.run.inst.endMs + TRIP_GRACE_MS || (v.run.off.offRoute && p.ts - v.run.off.offSinceMs! > 10 * 60_000))) this.stop(v);
      else this.advance(v, v.run, p, prev?.ts);
    }
    if (!v.run || (!v.run.manual && this.maySwitch(v.run))) this.findTrip(fs, v, p);
  }

  /**
   * An automatic assignment is reconsidered before it departs the first stop, off route, when
   * more than 10 minutes late, or when running early by more than three minutes (rare for a bus:
   * more likely it runs the trip before, late). Another trip must still fit better three times
   * in a row, and one another vehicle runs costs 600 more.
   */
  private maySwitch(run: TripRun): boolean {
    return run.next === 0 || run.off.offRoute || run.delayS < -180 || run.delayS > 600 || run.score > 1_200;
  }

  private score(fs: FeedState, v: Vehicle, inst: TripInstance, p: PositionInput): { score: number; proj: Projection; geom: TripGeometry } | undefined {
    const geom = fs.geometries.of(inst.trip);
    if (!geom) return undefined;
    const proj = geom.shape.project(p.lat, p.lon, { hintM: scheduledProgress(inst, geom, p.ts) });
    if (proj.offM > CANDIDATE_MAX_OFF_M) return undefined;
    // At (or past) the last stop a trip is over: a vehicle there is not starting it.
    if (proj.progressM >= geom.stopDistM[geom.stopDistM.length - 1]! - AT_STOP_M) return undefined;
    if (p.courseDeg != null && (p.speedKmh ?? 0) > 5 && angleBetween(p.courseDeg, proj.bearingDeg) > 100) return undefined;
    let score = fitScore(inst, geom, proj.progressM, proj.offM, p.ts);
    // Another vehicle runs it: unlikely to be this one too, unless that one has gone silent.
    const holder = this.runners.get(inst.key);
    const other = holder && holder !== v.vehicleId ? this.vehicles.get(holder) : undefined;
    if (other && !this.isStale(other, p.ts)) score += 600;
    return { score, proj, geom };
  }

  private findTrip(fs: FeedState, v: Vehicle, p: PositionInput): void {
    const current = v.run;
    let best: { inst: TripInstance; score: number } | undefined;
    for (const inst of fs.active.running(p.ts, 20 * 60_000, TRIP_GRACE_MS, v.routeId)) {
      if (inst.key === current?.inst.key || v.finished.has(inst.key)) continue;
      const holder = this.runners.get(inst.key);
      if (holder && holder !== v.vehicleId && this.vehicles.get(holder)?.run?.manual) continue;
      const s = this.score(fs, v, inst, p);
      if (s && s.score < MAX_SCORE && (!best || s.score < best.score)) best = { inst, score: s.score };
    }
    if (!best) {
      v.challenger = undefined;
      return;
    }
    if (!current) {
      this.start(fs, v, best.inst, false, p);
      return;
    }
    if (best.score >= current.score - SWITCH_MARGIN) {
      v.challenger = undefined;
      return;
    }
    const count = v.challenger?.key === best.inst.key ? v.challenger.count + 1 : 1;
    v.challenger = { key: best.inst.key, count };
    if (count >= SWITCH_AFTER || current.next === 0) this.start(fs, v, best.inst, false, p);
  }

  private start(fs: FeedState, v: Vehicle, inst: TripInstance, manual: boolean, p: PositionInput): void {
    const geom = fs.geometries.of(inst.trip);
    if (!geom) return;
    if (v.run) this.stop(v);
    const other = this.runners.get(inst.key);
    if (other && other !== v.vehicleId) {
      const o = this.vehicles.get(other);
      if (o) this.stop(o);
    }
    const proj = geom.shape.project(p.lat, p.lon, { hintM: scheduledProgress(inst, geom, p.ts) });
    const n = geom.stopDistM.length;
    // Stops behind the first position are taken as passed, unobserved.
    let next = 0;
    while (next < n - 1 && geom.stopDistM[next]! + AT_STOP_M < proj.progressM) next++;
    const run: TripRun = {
      inst, geom, manual, progressM: proj.progressM, offM: proj.offM, off: nextOffRoute(ON_ROUTE, proj.offM, p.ts), next,
      arrMs: new Array<number | undefined>(n), depMs: new Array<number | undefined>(n), delayS: 0, score: 0,
      predFrom: n, predArr: new Float64Array(n), predDep: new Float64Array(n), predictions: undefined,
    };
    v.run = run;
    v.challenger = undefined;
    this.runners.set(inst.key, v.vehicleId);
    this.refresh(v, run, p.ts, proj);
  }

  private stop(v: Vehicle): void {
    const run = v.run;
    if (!run) return;
    if (this.runners.get(run.inst.key) === v.vehicleId) this.runners.delete(run.inst.key);
    this.markRunStops(run);
    v.run = undefined;
  }

  private markRunStops(run: TripRun): void {
    const st = run.inst.stopTimes;
    for (let i = run.predFrom; i < run.predArr.length; i++) this.dirtyStops.add(st[i]!.stopId);
  }

  /** Moves a trip run to a new position: progress, off-route, passages, delay, predictions. */
  private advance(v: Vehicle, run: TripRun, p: PositionInput, prevTs: number | undefined): void {
    const g = run.geom;
    const proj = g.shape.project(p.lat, p.lon, { hintM: run.progressM, fromM: run.progressM - 50 });
    const prevProgress = run.progressM;
    // GPS jitter moves a standing vehicle back and forth: progress only goes forward.
    const progress = Math.max(prevProgress, proj.progressM);
    run.offM = proj.offM;
    run.off = nextOffRoute(run.off, proj.offM, p.ts);
    if (run.off.offSinceMs === null) run.progressM = progress;
    this.passStops(v, run, prevProgress, prevTs, run.progressM, p.ts);
    if (run.next >= g.stopDistM.length) {
      v.finished.add(run.inst.key);
      if (v.finished.size > 64) v.finished.delete(v.finished.values().next().value!);
      if (run.manual && this.manual.get(v.vehicleId) === run.inst.trip.tripId) this.manual.delete(v.vehicleId);
      this.stop(v);
      return;
    }
    this.refresh(v, run, p.ts, proj);
  }

  private passStops(v: Vehicle, run: TripRun, p0: number, t0: number | undefined, p1: number, t1: number): void {
    const d = run.geom.stopDistM;
    const n = d.length;
    const stopTimes = run.inst.stopTimes;
    const learn = t0 !== undefined && t1 - t0 <= MAX_LEARN_GAP_MS && !run.off.offRoute;
    // The instant progress crossed `at` between the two positions (when it did).
    const crossing = (at: number): number | undefined => {
      if (t0 === undefined || p0 >= at || p1 < at) return undefined;
      return p1 > p0 ? t0 + ((at - p0) / (p1 - p0)) * (t1 - t0) : t1;
    };
    while (run.next < n) {
      const i = run.next;
      if (run.arrMs[i] === undefined && p1 >= d[i]! - AT_STOP_M) {
        run.arrMs[i] = crossing(d[i]! - AT_STOP_M) ?? (p0 >= d[i]! - AT_STOP_M ? undefined : t1);
        const at = run.arrMs[i];
        if (at !== undefined) {
          if (learn && i > 0 && run.depMs[i - 1] !== undefined) {
            this.travel.observe('run', this.segmentKey(stopTimes, i), this.hours.hourOf(run.depMs[i - 1]!), (at - run.depMs[i - 1]!) / 1000);
          }
          this.recordPassage(v, run, i, at);
        }
      }
      if (i === n - 1) {
        if (p1 >= d[i]! - AT_STOP_M) run.next = n;
        break;
      }
      if (p1 <= d[i]! + AT_STOP_M) break;
      const dep = crossing(d[i]! + AT_STOP_M);
      run.depMs[i] = dep;
      if (learn && dep !== undefined) {
        const arr = run.arrMs[i];
        if (i === 0) this.travel.observe('late', stopTimes[0]!.stopId, this.hours.hourOf(dep), Math.max(0, (dep - departureMs(run.inst, 0)) / 1000));
        else if (arr !== undefined) this.travel.observe('dwell', stopTimes[i]!.stopId, this.hours.hourOf(arr), (dep - arr) / 1000);
      }
      run.next = i + 1;
    }
  }

  private recordPassage(v: Vehicle, run: TripRun, i: number, atMs: number): void {
    const inst = run.inst;
    const stopId = inst.stopTimes[i]!.stopId;
    const key = `${inst.trip.routeId}|${inst.trip.directionId ?? 0}|${stopId}`;
    const scheduledMs = arrivalMs(inst, i);
    const prev = this.passages.get(key);
    if (prev && prev.vehicleId !== v.vehicleId && atMs > prev.ms && atMs - prev.ms < 3 * 3_600_000) {
      const scheduledS = inst.frequency ? inst.frequency.headwayS : (scheduledMs - prev.scheduledMs) / 1000;
      if (scheduledS > 0) {
        const actualS = (atMs - prev.ms) / 1000;
        const ratio = actualS / scheduledS;
        v.headway = { actualS, scheduledS, ratio, rating: rateHeadway(ratio), leaderVehicleId: prev.vehicleId, stopId, atMs };
      }
    }
    if (!prev || atMs > prev.ms) this.passages.set(key, { ms: atMs, vehicleId: v.vehicleId, scheduledMs });
  }

  /** The boards of the stops ahead before and after (a run only moves forward: after adds some only when it had none). */
  private refresh(v: Vehicle, run: TripRun, tMs: number, proj: Projection): void {
    run.delayS = Math.round(delaySeconds(run.inst, run.geom, run.progressM, tMs));
    run.score = fitScore(run.inst, run.geom, run.progressM, proj.offM, tMs);
    this.markRunStops(run);
    const before = run.predFrom;
    this.predict(run, tMs);
    if (run.predFrom < before) this.markRunStops(run);
  }

  private segmentKey(stopTimes: readonly GtfsStopTime[], j: number): string {
    let keys = this.segmentKeys.get(stopTimes);
    if (!keys) {
      keys = stopTimes.map((st, i) => (i > 0 ? runKey(stopTimes[i - 1]!.stopId, st.stopId) : ''));
      this.segmentKeys.set(stopTimes, keys);
    }
    return keys[j]!;
  }

  /** Running time of a segment: learned for the hour, else the timetable's. */
  private runS(inst: TripInstance, j: number, atMs: number): number {
    const st = inst.stopTimes;
    const learned = this.travel.mean('run', this.segmentKey(st, j), this.hours.hourOf(atMs));
    return Math.max(1, learned ?? (st[j]!.arrivalS - st[j - 1]!.departureS));
  }

  private dwellS(inst: TripInstance, j: number, atMs: number): number {
    const st = inst.stopTimes[j]!;
    return this.travel.mean('dwell', st.stopId, this.hours.hourOf(atMs)) ?? st.departureS - st.arrivalS;
  }

  /**
   * Arrival and departure at every stop not yet departed: the current segment's remaining share
   * of its running time, then learned (or scheduled) running and dwell times, one after another.
   * At the first stop a vehicle leaves at its scheduled departure plus the lateness learned there.
   * Whole seconds, strictly increasing from stop to stop (GTFS-Realtime E022/E025).
   */
  private predict(run: TripRun, tMs: number): void {
    const inst = run.inst;
    const d = run.geom.stopDistM;
    const n = d.length;
    run.predictions = undefined;
    let i = run.next;
    run.predFrom = Math.min(i, n);
    if (i >= n) return;
    let prevDep: number;
    if (i === 0) {
      const late = this.travel.mean('late', inst.stopTimes[0]!.stopId, this.hours.hourOf(tMs)) ?? 0;
      const arr = run.arrMs[0] ?? tMs;
      prevDep = this.setPrediction(run, 0, arr, Math.max(tMs, departureMs(inst, 0) + late * 1000), 0);
      i = 1;
    } else if (run.arrMs[i] !== undefined) {
      const arr = run.arrMs[i]!;
      prevDep = this.setPrediction(run, i, arr, Math.max(tMs, arr + this.dwellS(inst, i, arr) * 1000), 0);
      i++;
    } else {
      const span = d[i]! - d[i - 1]!;
      const share = span > 0 ? Math.min(1, Math.max(0, (d[i]! - run.progressM) / span)) : 0;
      const arr = tMs + share * this.runS(inst, i, tMs) * 1000;
      prevDep = this.setPrediction(run, i, arr, arr + this.dwellS(inst, i, arr) * 1000, 0);
      i++;
    }
    for (; i < n; i++) {
      const arr = prevDep + this.runS(inst, i, prevDep) * 1000;
      prevDep = this.setPrediction(run, i, arr, arr + this.dwellS(inst, i, arr) * 1000, prevDep);
    }
  }

  /** Stop i's prediction in whole seconds, after the departure from the stop before (`prevDep`); returns its departure. */
  private setPrediction(run: TripRun, i: number, arr: number, dep: number, prevDep: number): number {
    let a = Math.round(arr / 1000) * 1000;
    if (i > run.predFrom && a <= prevDep) a = prevDep + 1000;
    let dp = i === run.predArr.length - 1 ? a : Math.round(dep / 1000) * 1000;
    if (dp < a) dp = a;
    run.predArr[i] = a;
    run.predDep[i] = dp;
    return dp;
  }

  /** A run's predictions as objects (made once per refresh, when asked for). */
  private predictionList(run: TripRun): StopPrediction[] {
    if (!run.predictions) {
      const inst = run.inst;
      const out: StopPrediction[] = [];
      for (let i = run.predFrom; i < run.predArr.length; i++) {
        const st = inst.stopTimes[i]!;
        out.push({ index: i, stopId: st.stopId, stopSequence: st.stopSequence, arrivalMs: run.predArr[i]!, departureMs: run.predDep[i]!, scheduledArrivalMs: arrivalMs(inst, i) });
      }
      run.predictions = out;
    }
    return run.predictions;
  }

  /** The active instance of a trip nearest to `tMs` (a frequency-based trip has several). */
  private nearestInstance(fs: FeedState, tripId: string, tMs: number): TripInstance | undefined {
    let best: TripInstance | undefined;
    let bestGap = Infinity;
    for (const inst of fs.active.ofTrip(tripId, tMs)) {
      const gap = tMs < inst.startMs ? inst.startMs - tMs : tMs > inst.endMs ? tMs - inst.endMs : 0;
      if (gap < bestGap) {
        bestGap = gap;
        best = inst;
      }
    }
    return best;
  }

  /** A dispatcher assigns a vehicle to a trip; it holds until deleted or the trip ends. */
  assign(vehicleId: string, tripId: string): VehicleTripState {
    const fs = this.feedState();
    if (!fs) throw new AssignmentError(409, 'no GTFS feed is loaded', 'tripId');
    if (!fs.feed.trips.has(tripId)) throw new AssignmentError(404, `trip ${tripId} is not in the feed`, 'tripId');
    const now = this.now();
    const inst = this.nearestInstance(fs, tripId, now);
    if (!inst) throw new AssignmentError(409, `trip ${tripId} does not run today around now`, 'tripId');
    this.manual.set(vehicleId, tripId);
    const v = this.vehicles.get(vehicleId);
    if (v) this.start(fs, v, inst, true, { ts: v.tsMs, lat: v.lat, lon: v.lon, speedKmh: v.speedKmh, courseDeg: v.courseDeg });
    return this.tripState(vehicleId) ?? this.emptyState(vehicleId, tripId);
  }

  /** Back to automatic assignment. Returns false when there was no manual assignment. */
  unassign(vehicleId: string): boolean {
    const had = this.manual.delete(vehicleId);
    const v = this.vehicles.get(vehicleId);
    if (had && v?.run?.manual) this.stop(v);
    return had;
  }

  manualTrip(vehicleId: string): string | undefined {
    return this.manual.get(vehicleId);
  }

  private emptyState(vehicleId: string, tripId: string | null): VehicleTripState {
    return {
      vehicleId, tripId, routeId: null, directionId: null, startDate: null, startTime: null, manual: tripId !== null, delayS: null, progressM: null,
      offRouteM: null, offRoute: false, stale: true, headway: null, lastPositionMs: 0,
    };
  }

  /** A vehicle forgotten (device deleted). */
  remove(vehicleId: string): void {
    const v = this.vehicles.get(vehicleId);
    if (v) this.stop(v);
    this.vehicles.delete(vehicleId);
    this.manual.delete(vehicleId);
  }

  isStale(v: { tsMs: number }, nowMs = this.now()): boolean {
    return nowMs - v.tsMs > TRACKER_STALE_MS;
  }

  tripState(vehicleId: string): VehicleTripState | undefined {
    const v = this.vehicles.get(vehicleId);
    if (!v) return undefined;
    const run = v.run;
    return {
      vehicleId, tripId: run?.inst.trip.tripId ?? null, routeId: run?.inst.trip.routeId ?? v.routeId, directionId: run?.inst.trip.directionId ?? null,
      startDate: run?.inst.serviceDate ?? null, startTime: run?.inst.startTime ?? null, manual: run?.manual ?? false,
      delayS: run ? run.delayS : null, progressM: run ? Math.round(run.progressM) : null, offRouteM: run ? Math.round(run.offM) : null,
      offRoute: run?.off.offRoute ?? false, stale: this.isStale(v), headway: v.headway ?? null, lastPositionMs: v.tsMs,
    };
  }

  tripStates(): VehicleTripState[] {
    return [...this.vehicles.keys()].map((id) => this.tripState(id)!);
  }

  /** Trip instances under way at `nowMs` (started, not ended) that no fresh vehicle runs. */
  unservedTrips(nowMs = this.now()): { tripId: string; routeId: string; startMs: number; endMs: number }[] {
    const fs = this.feedState();
    if (!fs) return [];
    const out: { tripId: string; routeId: string; startMs: number; endMs: number }[] = [];
    for (const inst of fs.active.running(nowMs, 0, 0)) {
      if (inst.startMs > nowMs) continue;
      const holder = this.runners.get(inst.key);
      const v = holder ? this.vehicles.get(holder) : undefined;
      if (v && !this.isStale(v, nowMs) && v.run?.inst.key === inst.key) continue;
      out.push({ tripId: inst.trip.tripId, routeId: inst.trip.routeId, startMs: inst.startMs, endMs: inst.endMs });
    }
    return out;
  }

  /** The predictions of a vehicle's trip (empty when it runs none). */
  predictionsOf(vehicleId: string): readonly StopPrediction[] {
    const run = this.vehicles.get(vehicleId)?.run;
    return run ? this.predictionList(run) : [];
  }

  snapshot(): VehicleSnapshot[] {
    const now = this.now();
    return [...this.vehicles.values()].map((v) => ({
      vehicleId: v.vehicleId, deviceId: v.deviceId, lat: v.lat, lon: v.lon, speedKmh: v.speedKmh, courseDeg: v.courseDeg, tsMs: v.tsMs, stale: this.isStale(v, now),
      ...(v.run ? { run: { inst: v.run.inst, offM: v.run.offM, predictions: this.predictionList(v.run), progressM: v.run.progressM, delayS: v.run.delayS } } : {}),
    }));
  }

  /**
   * Marks the boards of stale vehicles' trips as changed once, when they go stale (their
   * predictions give way to the timetable). Call about once a second.
   */
  sweep(nowMs = this.now()): void {
    for (const v of this.vehicles.values()) {
      if (v.run && !v.run.manual && this.isStale(v, nowMs) && nowMs - v.tsMs <= TRACKER_STALE_MS + 1_500) this.markRunStops(v.run);
    }
  }

  takeDirtyStops(): string[] {
    const out = [...this.dirtyStops];
    this.dirtyStops.clear();
    return out;
  }

  /**
   * What is coming to a stop: every active trip calling there (except where it ends), with the
   * prediction of the vehicle running it, or its timetable when no (fresh) vehicle does. Soonest first.
   */
  arrivalsAt(stopId: string, nowMs = this.now(), opts: { limit?: number; horizonMs?: number } = {}): BoardEntry[] {
    const fs = this.feedState();
    if (!fs) return [];
    const limit = opts.limit ?? 12;
    const horizon = nowMs + (opts.horizonMs ?? 90 * 60_000);
    const out: BoardEntry[] = [];
    for (const tripId of fs.index.tripsAtStop.get(stopId) ?? []) {
      for (const inst of fs.active.ofTrip(tripId, nowMs)) {
        const holder = this.runners.get(inst.key);
        const v = holder ? this.vehicles.get(holder) : undefined;
        const run = v && !this.isStale(v, nowMs) && v.run?.inst.key === inst.key ? v.run : undefined;
        const n = inst.stopTimes.length;
        for (let i = 0; i < n - 1; i++) {
          if (inst.stopTimes[i]!.stopId !== stopId) continue;
          let at: number | undefined;
          if (run) {
            at = i >= run.predFrom ? (i === 0 ? run.predDep[i] : run.predArr[i]) : undefined;
          } else {
            at = i === 0 ? departureMs(inst, 0) : arrivalMs(inst, i);
            if (at < nowMs) at = undefined;
          }
          if (at === undefined || at < nowMs - 30_000 || at > horizon) continue;
          const route = fs.feed.routes.get(inst.trip.routeId);
          const lastStop = fs.feed.stops.get(inst.stopTimes[n - 1]!.stopId);
          out.push({
            routeId: inst.trip.routeId, routeShortName: route?.shortName || route?.longName || inst.trip.routeId,
            headsign: inst.trip.headsign ?? lastStop?.name ?? '', tripId: inst.trip.tripId, vehicleId: run ? v!.vehicleId : null, arrivalMs: at, realtime: run !== undefined,
          });
        }
      }
    }
    return out.sort((a, b) => a.arrivalMs - b.arrivalMs || a.routeShortName.localeCompare(b.routeShortName) || a.tripId.localeCompare(b.tripId)).slice(0, limit);
  }
}
