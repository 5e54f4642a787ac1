/**
 * A vehicle running a block of the GTFS feed: trip after trip along the trips' shapes, with what
 * makes real service hard to predict —
 *  - traffic by time of day (traffic.ts), slowest in the rush hours 07–10 and 16–19, with a
 *    day-to-day factor and more spread in the rush;
 *  - dwells that follow the hour (more boarding in the rush) and vary stop to stop;
 *  - late departures from the terminus (a driver's break running over);
 *  - now and then a vehicle held at a stop for several minutes (an incident, a wheelchair ramp,
 *    a trolley pole off the wire);
 *  - never leaving a stop more than a minute early (drivers wait at timepoints).
 * Delays carry from trip to trip within the block and are absorbed by layovers, so bunching and
 * gaps happen by themselves.
 *
 * Position is a pure function of time: a service day's plan is computed from seeds and the day,
 * so a restarted simulator puts every vehicle where it was. The plan also is the truth an ETA
 * evaluation scores predictions against (`arrivals`).
 */
import type { PositionPayload } from '../../services/contracts/index.ts';
import { serviceRunsOn } from '../../services/transit/gtfs/load.ts';
import type { GtfsFeed } from '../../services/transit/gtfs/model.ts';
import { Polyline } from './geo.ts';
import { DAY_MS, kyivInstant, kyivOffsetMs } from './kyiv-time.ts';
import { between, hashString, unit } from './random.ts';
import { isRushHour, typicalCruiseKmh, typicalDwellS } from './traffic.ts';
import { driveAt, driveTime, gpsFix, MAX_CRUISE_KMH, toPositionPayload, type VehicleSample } from './vehicle-model.ts';

/** Shortest turn at a terminus when running late, seconds. */
const MIN_TURN_S = 60;
/** How early a vehicle may leave a stop, seconds. */
const MAX_EARLY_S = 60;
const MIN_CRUISE_KMH = 10;

/** The parts of a feed the vehicles share: each trip with its line and stop distances. */
export interface FeedTrip {
  tripId: string;
  routeId: string;
  serviceId: string;
  directionId: 0 | 1;
  line: Polyline;
  stops: Array<{ stopId: string; stopSequence: number; atM: number; arrS: number; depS: number }>;
}

export class FeedIndex {
  readonly trips = new Map<string, FeedTrip>();
  /** block id → its trips by first departure */
  readonly blocks = new Map<string, FeedTrip[]>();
  /** route id → block ids, sorted */
  readonly blocksOfRoute = new Map<string, string[]>();

  constructor(readonly feed: GtfsFeed) {
    const lines = new Map<string, Polyline>();
    const lineOf = (shapeId: string | undefined, stops: Array<[number, number]>): Polyline => {
      if (!shapeId) return new Polyline(stops);
      let l = lines.get(shapeId);
      if (!l) lines.set(shapeId, (l = new Polyline(feed.shapes.get(shapeId)!.map((p) => [p.lat, p.lon] as const))));
      return l;
    };
    for (const t of feed.trips.values()) {
      const sts = feed.stopTimes.get(t.tripId);
      if (!sts || sts.length < 2) continue;
      const coords = sts.map((s) => feed.stops.get(s.stopId)!).map((s) => [s.lat, s.lon] as [number, number]);
      const line = lineOf(t.shapeId, coords);
      const shapePts = t.shapeId ? feed.shapes.get(t.shapeId) : undefined;
      // Distances along the line: the feed's shape_dist_traveled when it is in metres along this
      // shape (as the demo feed's is), else the stops projected in order.
      const useDist = shapePts?.at(-1)?.distTraveled !== undefined && Math.abs(shapePts.at(-1)!.distTraveled! - line.lengthM) < 0.02 * line.lengthM;
      let prev = 0;
      const stops = sts.map((s, i) => {
        let atM = useDist && s.shapeDistTraveled !== undefined ? s.shapeDistTraveled : projectAfter(line, coords[i]!, prev);
        atM = Math.max(prev, Math.min(line.lengthM, atM));
        prev = atM;
        return { stopId: s.stopId, stopSequence: s.stopSequence, atM, arrS: s.arrivalS, depS: s.departureS };
      });
      const ft: FeedTrip = { tripId: t.tripId, routeId: t.routeId, serviceId: t.serviceId, directionId: t.directionId ?? 0, line, stops };
      this.trips.set(t.tripId, ft);
      const block = t.blockId ?? `trip:${t.tripId}`;
      if (!this.blocks.has(block)) this.blocks.set(block, []);
      this.blocks.get(block)!.push(ft);
    }
    for (const [id, trips] of this.blocks) {
      trips.sort((a, b) => a.stops[0]!.depS - b.stops[0]!.depS);
      const route = trips[0]!.routeId;
      if (!this.blocksOfRoute.has(route)) this.blocksOfRoute.set(route, []);
      this.blocksOfRoute.get(route)!.push(id);
    }
    for (const list of this.blocksOfRoute.values()) list.sort();
  }
}

/** The distance along the line of the point nearest p, at or after `from` (coarse, for set-up only). */
function projectAfter(line: Polyline, p: readonly [number, number], from: number): number {
  let best = from;
  let bestD = Infinity;
  for (let s = from; s <= line.lengthM; s += 5) {
    const q = line.pointAt(s);
    const d = Math.hypot((q[0] - p[0]) * 111_320, (q[1] - p[1]) * 73_000);
    if (d < bestD) {
      bestD = d;
      best = s;
    }
  }
  return best;
}

type Step =
  | { kind: 'stand'; t0: number; t1: number; trip: number; stop: number; phase: 'dwell' | 'layover'; odoM: number }
  | { kind: 'drive'; t0: number; t1: number; trip: number; stop: number; cruise: number; fromM: number; toM: number; odoM: number };

/** One stop passage: the truth an ETA evaluation scores against. */
export interface Passage {
  tripId: string;
  stopId: string;
  stopSequence: number;
  /** epoch ms */
  arriveMs: number;
  departMs: number;
  scheduledArriveMs: number;
}

interface DayPlan {
  dayIndex: number;
  trips: FeedTrip[];
  steps: Step[];
  passages: Passage[];
  startMs: number;
  endMs: number;
  distanceM: number;
}

/** The instant a service day starts: noon minus 12 h, local (so 25:00:00 is 01:00 the next day). */
export function serviceDayStartMs(dayIndex: number): number {
  return kyivInstant(dayIndex, 12 * 60) - 12 * 3_600_000;
}

const gtfsDate = (dayIndex: number) => new Date(dayIndex * DAY_MS).toISOString().slice(0, 10).replace(/-/g, '');
const weekdayOf = (dayIndex: number) => ((new Date(dayIndex * DAY_MS).getUTCDay() + 6) % 7) + 1;
const localMinute = (ms: number) => (((ms + kyivOffsetMs(ms)) % DAY_MS) + DAY_MS) % DAY_MS / 60_000;

export interface TimetableVehicleOptions {
  index: FeedIndex;
  /** the block this vehicle runs every day it is in service; null: a spare, parked at `parkAt` */
  blockId: string | null;
  /** where a spare stands (a stop id of the route) */
  parkAt?: string;
  /** the device id: seeds this vehicle's variation */
  key: string;
  seed?: number;
}

export class TimetableVehicleModel {
  readonly blockId: string | null;
  private readonly index: FeedIndex;
  private readonly seed: number;
  private readonly odometerBaseKm: number;
  private readonly plans = new Map<number, DayPlan | null>();
  private readonly parked: { line: Polyline; atM: number; stopId: string; outbound: boolean };

  constructor(opts: TimetableVehicleOptions) {
    this.index = opts.index;
    this.blockId = opts.blockId;
    this.seed = (hashString(opts.key) ^ Math.imul(opts.seed ?? 1, 0x9e3779b1)) >>> 0;
    this.odometerBaseKm = Math.round(between(40_000, 400_000, this.seed, 3));
    const trips = opts.blockId ? opts.index.blocks.get(opts.blockId) : undefined;
    if (opts.blockId && !trips) throw new Error(`block ${opts.blockId} is not in the feed`);
    if (trips) {
      const first = trips[0]!;
      this.parked = { line: first.line, atM: first.stops[0]!.atM, stopId: first.stops[0]!.stopId, outbound: first.directionId === 0 };
    } else {
      const stop = opts.index.feed.stops.get(opts.parkAt ?? '');
      if (!stop) throw new Error(`a spare vehicle needs a stop to stand at (parkAt ${opts.parkAt})`);
      const line = new Polyline([[stop.lat, stop.lon], [stop.lat + 0.0001, stop.lon]]);
      this.parked = { line, atM: 0, stopId: stop.stopId, outbound: true };
    }
  }

  /** The day's plan of the block on a service day, or null when the block does not run that day. */
  plan(dayIndex: number): DayPlan | null {
    if (this.plans.has(dayIndex)) return this.plans.get(dayIndex)!;
    const trips = this.blockId ? this.index.blocks.get(this.blockId)! : [];
    const date = gtfsDate(dayIndex);
    const wd = weekdayOf(dayIndex);
    const running = trips.filter((t) => serviceRunsOn(this.index.feed, t.serviceId, date, wd));
    const plan = running.length ? this.simulate(dayIndex, running) : null;
    if (this.plans.size > 8) this.plans.delete(this.plans.keys().next().value!);
    this.plans.set(dayIndex, plan);
    return plan;
  }

  private simulate(dayIndex: number, trips: FeedTrip[]): DayPlan {
    const base = serviceDayStartMs(dayIndex);
    const seed = this.seed;
    // A day's traffic: some days flow, some crawl, the same for the whole day.
    const dayFactor = between(0.92, 1.06, hashString(trips[0]!.routeId), dayIndex, 40);
    const steps: Step[] = [];
    const passages: Passage[] = [];
    let t = base + trips[0]!.stops[0]!.depS * 1000;
    let odo = 0;
    trips.forEach((trip, ti) => {
      const sched = (s: number) => base + s * 1000;
      const first = trip.stops[0]!;
      // Late from the terminus: usually within half a minute, sometimes minutes.
      const u = unit(seed, dayIndex, ti, 41);
      const lateS = u < 0.2 ? between(60, 300, seed, dayIndex, ti, 42) : between(-5, 30, seed, dayIndex, ti, 43);
      const depart = Math.max(t + (ti === 0 ? 0 : MIN_TURN_S * 1000), sched(first.depS) + lateS * 1000);
      if (depart > t) steps.push({ kind: 'stand', t0: t, t1: depart, trip: ti, stop: 0, phase: 'layover', odoM: odo });
      passages.push({ tripId: trip.tripId, stopId: first.stopId, stopSequence: first.stopSequence, arriveMs: t, departMs: depart, scheduledArriveMs: sched(first.arrS) });
      t = depart;
      // Now and then a vehicle is held at one stop for several minutes.
      const held = unit(seed, dayIndex, ti, 44) < 0.04 ? 1 + Math.floor(unit(seed, dayIndex, ti, 45) * (trip.stops.length - 2)) : -1;
      for (let k = 1; k < trip.stops.length; k++) {
        const a = trip.stops[k - 1]!;
        const b = trip.stops[k]!;
        const minute = localMinute(t);
        const rush = isRushHour(minute);
        const spread = rush ? between(0.72, 1.08, seed, dayIndex, ti, k, 46) : between(0.88, 1.1, seed, dayIndex, ti, k, 46);
        const kmh = Math.min(MAX_CRUISE_KMH, Math.max(MIN_CRUISE_KMH, typicalCruiseKmh(minute) * dayFactor * spread));
        const d = b.atM - a.atM;
        const driveS = driveTime(d, kmh / 3.6);
        steps.push({ kind: 'drive', t0: t, t1: t + driveS * 1000, trip: ti, stop: k, cruise: kmh / 3.6, fromM: a.atM, toM: b.atM, odoM: odo });
        odo += d;
        t += driveS * 1000;
        const arrive = t;
        const last = k === trip.stops.length - 1;
        if (!last) {
          let dwellS = typicalDwellS(localMinute(t)) * between(0.55, 1.6, seed, dayIndex, ti, k, 47);
          if (k === held) dwellS += between(180, 480, seed, dayIndex, ti, 48);
          let leave = t + dwellS * 1000;
          leave = Math.max(leave, sched(b.depS) - MAX_EARLY_S * 1000);
          steps.push({ kind: 'stand', t0: t, t1: leave, trip: ti, stop: k, phase: 'dwell', odoM: odo });
          t = leave;
        }
        passages.push({ tripId: trip.tripId, stopId: b.stopId, stopSequence: b.stopSequence, arriveMs: arrive, departMs: t, scheduledArriveMs: sched(b.arrS) });
      }
    });
    return { dayIndex, trips, steps, passages, startMs: steps[0]?.t0 ?? t, endMs: t, distanceM: odo };
  }

  /** Every stop passage of the vehicle on a service day (the truth), in time order. */
  arrivals(dayIndex: number): Passage[] {
    return this.plan(dayIndex)?.passages ?? [];
  }

  /** The service day (index of its local date) whose plan covers the instant, if any. */
  private planAt(ms: number): { plan: DayPlan | null; last: DayPlan | null } {
    const local = ms + kyivOffsetMs(ms);
    const today = Math.floor(local / DAY_MS);
    let last: DayPlan | null = null;
    for (const d of [today - 1, today]) {
      const p = this.plan(d);
      if (!p) continue;
      if (ms >= p.startMs && ms < p.endMs) return { plan: p, last: p };
      if (ms >= p.endMs) last = p;
    }
    return { plan: null, last };
  }

  sample(ms: number): VehicleSample & { tripId: string | null; inService: boolean } {
    const { plan, last } = this.planAt(ms);
    let line = this.parked.line;
    let s = this.parked.atM;
    let speed = 0;
    let phase: VehicleSample['phase'] = 'layover';
    let outbound = this.parked.outbound;
    let stopId: string | null = this.parked.stopId;
    let tripId: string | null = null;
    let odoM = 0;
    let lap = 0;
    const dayBase = (p: DayPlan | null) => (p ? p.dayIndex * p.distanceM : 0);
    if (plan) {
      const steps = plan.steps;
      let lo = 0;
      let hi = steps.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if (steps[mid]!.t0 <= ms) lo = mid;
        else hi = mid - 1;
      }
      const step = steps[lo]!;
      const trip = plan.trips[step.trip]!;
      line = trip.line;
      outbound = trip.directionId === 0;
      tripId = trip.tripId;
      lap = step.trip;
      odoM = dayBase(plan);
      if (step.kind === 'drive') {
        const at = driveAt(step.toM - step.fromM, step.cruise, (ms - step.t0) / 1000);
        s = step.fromM + at.x;
        speed = at.speed;
        phase = 'moving';
        stopId = null;
        odoM += step.odoM + at.x;
      } else {
        const st = trip.stops[step.stop]!;
        s = st.atM;
        phase = step.phase;
        stopId = st.stopId;
        odoM += step.odoM;
      }
    } else if (last) {
      // After the day's last trip: parked at its last stop.
      const trip = last.trips[last.trips.length - 1]!;
      line = trip.line;
      s = trip.stops[trip.stops.length - 1]!.atM;
      stopId = trip.stops[trip.stops.length - 1]!.stopId;
      outbound = trip.directionId === 0;
      odoM = dayBase(last) + last.distanceM;
    } else {
      const local = ms + kyivOffsetMs(ms);
      const prev = this.plan(Math.floor(local / DAY_MS) - 2);
      odoM = prev ? dayBase(prev) + prev.distanceM : 0;
    }

    return {
      ...gpsFix(this.seed, ms, line, s, true, speed),
      odometerKm: this.odometerBaseKm + odoM / 1000,
      phase,
      outbound,
      distanceM: s,
      stopId,
      lap,
      tripId,
      inService: plan !== null,
    };
  }

  /** The MQTT payload of `v1/transit/{deviceId}/position` at the instant; ignition off while parked. */
  position(ms: number): PositionPayload {
    const s = this.sample(ms);
    return { ...toPositionPayload(s), ignition: s.inService };
  }
}
