/**
 * Trip instances: a trip on one service date (and, for frequency-based trips, one start within
 * a frequencies.txt window), with the instant of each of its stop_times.
 */
import type { GtfsFeed, GtfsFrequency, GtfsStopTime, GtfsTrip } from '../gtfs/model.ts';
import { addDays, formatGtfsTime, localDate, serviceDayStartMs, servicesOn, type ServiceDate } from './service-day.ts';

export interface TripInstance {
  /** `{tripId}@{serviceDate}` or, for a frequency-based trip, `{tripId}@{serviceDate}@{startS}` */
  key: string;
  trip: GtfsTrip;
  stopTimes: readonly GtfsStopTime[];
  serviceDate: ServiceDate;
  /** epoch ms of the service day's origin (noon − 12 h local) */
  dayStartMs: number;
  /** seconds added to every stop_time: 0 for a scheduled trip, the start's offset for a frequency one */
  shiftS: number;
  /** GTFS-Realtime start_time, `HH:MM:SS` */
  startTime: string;
  startMs: number;
  endMs: number;
  /** the frequencies.txt window this instance belongs to */
  frequency?: GtfsFrequency;
}

export const arrivalMs = (inst: TripInstance, i: number): number => inst.dayStartMs + (inst.stopTimes[i]!.arrivalS + inst.shiftS) * 1000;
export const departureMs = (inst: TripInstance, i: number): number => inst.dayStartMs + (inst.stopTimes[i]!.departureS + inst.shiftS) * 1000;

interface TripEntry {
  trip: GtfsTrip;
  stopTimes: GtfsStopTime[];
  firstS: number;
  lastS: number;
  frequencies: GtfsFrequency[];
}

/** What does not change while a feed is loaded: trips with their times, stops' trips. */
export class FeedIndex {
  readonly trips: TripEntry[] = [];
  /** tripIds calling at each stop */
  readonly tripsAtStop = new Map<string, string[]>();
  /** the latest any trip ends, in seconds of its service day (may exceed 24 h), to bound the days searched */
  readonly latestS: number;

  constructor(readonly feed: GtfsFeed) {
    const freq = new Map<string, GtfsFrequency[]>();
    for (const f of feed.frequencies) (freq.get(f.tripId) ?? freq.set(f.tripId, []).get(f.tripId)!).push(f);
    let latest = 0;
    for (const trip of feed.trips.values()) {
      const stopTimes = feed.stopTimes.get(trip.tripId);
      if (!stopTimes || stopTimes.length < 2) continue;
      const firstS = stopTimes[0]!.departureS;
      const lastS = stopTimes[stopTimes.length - 1]!.arrivalS;
      latest = Math.max(latest, lastS, ...(freq.get(trip.tripId) ?? []).map((f) => f.endS + lastS - firstS));
      this.trips.push({ trip, stopTimes, firstS, lastS, frequencies: freq.get(trip.tripId) ?? [] });
      for (const st of stopTimes) {
        const list = this.tripsAtStop.get(st.stopId) ?? this.tripsAtStop.set(st.stopId, []).get(st.stopId)!;
        if (list[list.length - 1] !== trip.tripId) list.push(trip.tripId);
      }
    }
    this.latestS = latest;
  }
}

export interface ActiveWindow {
  /** how long after its scheduled end an instance still counts (a late vehicle still runs it) */
  graceMs: number;
  /** how far ahead of now instances are listed (boards, the next trip of a block) */
  lookaheadMs: number;
}

export const DEFAULT_WINDOW: ActiveWindow = { graceMs: 30 * 60_000, lookaheadMs: 2 * 3_600_000 };

/**
 * Every instance that runs at some point in [now − grace, now + lookahead], from the service
 * days that can reach now (yesterday's trips run past midnight; GTFS times may exceed 24:00).
 */
export function instancesAround(index: FeedIndex, nowMs: number, zone: string, window: ActiveWindow = DEFAULT_WINDOW): TripInstance[] {
  const from = nowMs - window.graceMs;
  const to = nowMs + window.lookaheadMs;
  const out: TripInstance[] = [];
  const today = localDate(nowMs, zone);
  const spanDays = Math.ceil((index.latestS + window.graceMs / 1000) / 86_400);
  for (let back = spanDays; back >= -1; back--) {
    const date = addDays(today, -back);
    const dayStartMs = serviceDayStartMs(date, zone);
    const services = servicesOn(index.feed, date);
    if (services.size === 0) continue;
    for (const e of index.trips) {
      if (!services.has(e.trip.serviceId)) continue;
      const durationS = e.lastS - e.firstS;
      if (e.frequencies.length === 0) {
        const startMs = dayStartMs + e.firstS * 1000;
        const endMs = dayStartMs + e.lastS * 1000;
        if (endMs < from || startMs > to) continue;
        out.push({ key: `${e.trip.tripId}@${date}`, trip: e.trip, stopTimes: e.stopTimes, serviceDate: date, dayStartMs, shiftS: 0, startTime: formatGtfsTime(e.firstS), startMs, endMs });
        continue;
      }
      for (const f of e.frequencies) {
        if (f.headwayS <= 0) continue;
        // Starts in [f.startS, f.endS) every headway; only those overlapping the window.
        const firstK = Math.max(0, Math.ceil(((from - dayStartMs) / 1000 - durationS - f.startS) / f.headwayS));
        for (let k = firstK; ; k++) {
          const startS = f.startS + k * f.headwayS;
          if (startS >= f.endS) break;
          const startMs = dayStartMs + startS * 1000;
          if (startMs > to) break;
          const endMs = startMs + durationS * 1000;
          if (endMs < from) continue;
          out.push({
            key: `${e.trip.tripId}@${date}@${startS}`, trip: e.trip, stopTimes: e.stopTimes, serviceDate: date, dayStartMs,
            shiftS: startS - e.firstS, startTime: formatGtfsTime(startS), startMs, endMs, frequency: f,
          });
        }
      }
    }
  }
  return out.sort((a, b) => a.startMs - b.startMs);
}

/** instancesAround, computed at most once a minute, with look-ups by key, trip and route. */
export class ActiveTrips {
  private minute = Number.NaN;
  private list: TripInstance[] = [];
  private byKey = new Map<string, TripInstance>();
  private byTrip = new Map<string, TripInstance[]>();
  private byRoute = new Map<string, TripInstance[]>();

  constructor(readonly index: FeedIndex, private readonly zone: string, private readonly window: ActiveWindow = DEFAULT_WINDOW) {}

  private refresh(nowMs: number): void {
    const minute = Math.floor(nowMs / 60_000);
    if (minute === this.minute) return;
    this.minute = minute;
    this.list = instancesAround(this.index, minute * 60_000, this.zone, { graceMs: this.window.graceMs + 60_000, lookaheadMs: this.window.lookaheadMs + 60_000 });
    this.byKey = new Map(this.list.map((i) => [i.key, i]));
    this.byTrip = new Map();
    this.byRoute = new Map();
    for (const i of this.list) {
      (this.byTrip.get(i.trip.tripId) ?? this.byTrip.set(i.trip.tripId, []).get(i.trip.tripId)!).push(i);
      (this.byRoute.get(i.trip.routeId) ?? this.byRoute.set(i.trip.routeId, []).get(i.trip.routeId)!).push(i);
    }
  }

  all(nowMs: number): readonly TripInstance[] {
    this.refresh(nowMs);
    return this.list;
  }

  get(key: string, nowMs: number): TripInstance | undefined {
    this.refresh(nowMs);
    return this.byKey.get(key);
  }

  ofTrip(tripId: string, nowMs: number): readonly TripInstance[] {
    this.refresh(nowMs);
    return this.byTrip.get(tripId) ?? [];
  }

  ofRoute(routeId: string, nowMs: number): readonly TripInstance[] {
    this.refresh(nowMs);
    return this.byRoute.get(routeId) ?? [];
  }

  /** Instances under way or about to start at `nowMs` (from `beforeMs` before their start to `afterMs` after their end). */
  running(nowMs: number, beforeMs: number, afterMs: number, routeId?: string | null): TripInstance[] {
    const list = routeId ? this.ofRoute(routeId, nowMs) : this.all(nowMs);
    return list.filter((i) => i.startMs - beforeMs <= nowMs && nowMs <= i.endMs + afterMs);
  }
}
