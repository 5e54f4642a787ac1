/**
 * `npm run eta:eval`: replays simulated days of a small city with known truth through the
 * realtime engine and scores every prediction it makes with Transit App's ETA buckets.
 *
 * The city (its own, seeded, nothing shared with the demo simulators): three routes, both
 * directions, a timetable by time of day rounded to whole minutes; the truth runs slower in the
 * rush hours than the timetable allows for, dwells vary with the hour, a third of departures
 * leave the terminus late, and now and then a vehicle is held at a stop for several minutes.
 * Day 1 warms up the learned travel times; day 2 is scored. Positions every 10 s with 5 m of GPS
 * noise. Options: --days N (scored days after the warm-up, default 1), --seed N.
 */
import type { GtfsFeed, GtfsStopTime } from '../../services/transit/gtfs/model.ts';
import { RealtimeEngine } from '../../services/transit/realtime/engine.ts';
import { TravelTimes } from '../../services/transit/realtime/travel-times.ts';
import { addDays, serviceDayStartMs } from '../../services/transit/schedule/service-day.ts';
import { BUCKETS, score, type Sample } from './eta-buckets.ts';
import { rng } from '../../simulators/city/random.ts';

const ZONE = 'Europe/Kyiv';
const LAT0 = 48.5079;
const LON0 = 32.2623;
const M_LAT = 111_195;
const M_LON = M_LAT * Math.cos((LAT0 * Math.PI) / 180);

interface RouteSpec { id: string; angleDeg: number; stops: number }
const ROUTES: RouteSpec[] = [{ id: '3', angleDeg: 20, stops: 14 }, { id: '11', angleDeg: 110, stops: 16 }, { id: '27', angleDeg: 250, stops: 12 }];

/** Local hour (fractional) → how much slower traffic is than free flow. */
const traffic = (h: number) => 1 + 0.5 * Math.exp(-(((h - 8) / 1) ** 2)) + 0.45 * Math.exp(-(((h - 17.5) / 1.2) ** 2));
/** The timetable knows the rush hours, coarsely. */
const planned = (h: number) => ((h >= 7 && h < 10) || (h >= 16 && h < 19) ? 1.2 : 1);
const passengers = (h: number) => 0.5 + 1.5 * (traffic(h) - 1);

interface Geometry { xs: number[]; ys: number[]; cum: number[] }
interface Pattern { routeId: string; dir: 0 | 1; stopIds: string[]; geom: Geometry; stopDist: number[]; baseRunS: number[] }

function buildCity(seed: number): { feed: GtfsFeed; patterns: Pattern[] } {
  const r = rng(seed);
  const feed: GtfsFeed = {
    agencies: [{ agencyId: 'EVAL', name: 'ETA eval city', url: 'https://example.org', timezone: ZONE }],
    routes: new Map(), stops: new Map(), trips: new Map(), stopTimes: new Map(), calendars: new Map(), calendarDates: [], shapes: new Map(), frequencies: [], files: new Map(),
  };
  feed.calendars.set('ALL', { serviceId: 'ALL', days: [true, true, true, true, true, true, true], startDate: '20000101', endDate: '20991231' });
  const patterns: Pattern[] = [];
  for (const spec of ROUTES) {
    feed.routes.set(spec.id, { routeId: spec.id, shortName: spec.id, longName: `Route ${spec.id}`, type: 3 });
    const a = (spec.angleDeg * Math.PI) / 180;
    const ux = Math.sin(a);
    const uy = Math.cos(a);
    // Stops outward from near the centre, 350–550 m apart; the street jogs sideways between them.
    const along: number[] = [200];
    for (let i = 1; i < spec.stops; i++) along.push(along[i - 1]! + 350 + r() * 200);
    const pts: [number, number][] = [];
    const stopXY: [number, number][] = [];
    along.forEach((d, i) => {
      const p: [number, number] = [ux * d, uy * d];
      stopXY.push(p);
      pts.push(p);
      if (i < along.length - 1) {
        const mid = (d + along[i + 1]!) / 2;
        const side = (r() - 0.5) * 60;
        pts.push([ux * mid - uy * side, uy * mid + ux * side]);
      }
    });
    const segFactor = along.slice(1).map(() => 0.8 + r() * 0.6);
    stopXY.forEach(([x, y], i) => feed.stops.set(`${spec.id}-${i}`, { stopId: `${spec.id}-${i}`, name: `Route ${spec.id} stop ${i}`, lat: LAT0 + y / M_LAT, lon: LON0 + x / M_LON, locationType: 0 }));
    for (const dir of [0, 1] as const) {
      const p = dir === 0 ? pts : [...pts].reverse();
      const ids = stopXY.map((_, i) => `${spec.id}-${i}`);
      const stopIds = dir === 0 ? ids : [...ids].reverse();
      const shapeId = `${spec.id}-${dir}`;
      feed.shapes.set(shapeId, p.map(([x, y], k) => ({ lat: LAT0 + y / M_LAT, lon: LON0 + x / M_LON, sequence: k })));
      const geom: Geometry = { xs: p.map((q) => q[0]), ys: p.map((q) => q[1]), cum: [0] };
      for (let k = 1; k < p.length; k++) geom.cum.push(geom.cum[k - 1]! + Math.hypot(p[k]![0] - p[k - 1]![0], p[k]![1] - p[k - 1]![1]));
      // Stops are every other shape point.
      const stopDist = stopIds.map((_, i) => geom.cum[i * 2]!);
      const factors = dir === 0 ? segFactor : [...segFactor].reverse();
      const baseRunS = stopDist.slice(1).map((d, i) => ((d - stopDist[i]!) / (24 / 3.6)) * factors[i]!);
      patterns.push({ routeId: spec.id, dir, stopIds, geom, stopDist, baseRunS });
    }
  }
  // Departures by time of day: every 8 minutes in the rush hours, 12 otherwise, 05:30–22:30.
  for (const pat of patterns) {
    for (let dep = 5.5 * 3600 + (pat.dir ? 240 : 0); dep <= 22.5 * 3600; ) {
      const h = dep / 3600;
      const tripId = `${pat.routeId}-${pat.dir}-${Math.round(dep / 60)}`;
      feed.trips.set(tripId, { tripId, routeId: pat.routeId, serviceId: 'ALL', directionId: pat.dir, shapeId: `${pat.routeId}-${pat.dir}`, headsign: `Route ${pat.routeId} stop ${pat.dir ? 0 : pat.stopIds.length - 1}` });
      let t = dep;
      const times: GtfsStopTime[] = [{ tripId, stopSequence: 1, stopId: pat.stopIds[0]!, arrivalS: dep, departureS: dep }];
      for (let i = 1; i < pat.stopIds.length; i++) {
        t += pat.baseRunS[i - 1]! * planned(t / 3600) + 20;
        const m = Math.round(t / 60) * 60;
        times.push({ tripId, stopSequence: i + 1, stopId: pat.stopIds[i]!, arrivalS: m, departureS: m });
      }
      feed.stopTimes.set(tripId, times);
      dep += (h >= 7 && h < 10) || (h >= 16 && h < 19) ? 480 : 720;
    }
  }
  return { feed, patterns };
}

function pointAt(g: Geometry, d: number): [number, number] {
  let k = 1;
  while (k < g.cum.length - 1 && g.cum[k]! < d) k++;
  const span = g.cum[k]! - g.cum[k - 1]!;
  const f = span > 0 ? Math.min(1, Math.max(0, (d - g.cum[k - 1]!) / span)) : 0;
  return [g.xs[k - 1]! + f * (g.xs[k]! - g.xs[k - 1]!), g.ys[k - 1]! + f * (g.ys[k]! - g.ys[k - 1]!)];
}

interface Truth { tripId: string; vehicleId: string; routeId: string; arrMs: number[]; depMs: number[]; pattern: Pattern }

/** What really happens to a trip: lateness at the terminus, running and dwell times, holds. */
function simulateTrip(r: () => number, feed: GtfsFeed, pat: Pattern, tripId: string, dayStartMs: number): Truth {
  const st = feed.stopTimes.get(tripId)!;
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const arr: number[] = [];
  const dep: number[] = [];
  let t = dayStartMs + st[0]!.departureS * 1000 - 60_000;
  arr.push(t);
  const late = r() < 0.33 ? r() * 240 : r() * 30;
  t = dayStartMs + st[0]!.departureS * 1000 + late * 1000;
  dep.push(t);
  for (let i = 1; i < st.length; i++) {
    const h = ((t - dayStartMs) / 3_600_000) % 24;
    t += pat.baseRunS[i - 1]! * traffic(h) * Math.exp(0.12 * gauss()) * 1000;
    arr.push(t);
    if (i < st.length - 1) {
      let dwell = 8 + 22 * passengers(h) * (0.5 + r());
      if (r() < 0.015) dwell += 180 + r() * 180;
      t += dwell * 1000;
    }
    dep.push(t);
  }
  return { tripId, vehicleId: `V-${tripId}`, routeId: pat.routeId, arrMs: arr, depMs: dep, pattern: pat };
}

interface PositionEvent { ts: number; truth: Truth; lat: number; lon: number; speedKmh: number; courseDeg: number }

function positionsOf(r: () => number, tr: Truth, everyMs: number): PositionEvent[] {
  const out: PositionEvent[] = [];
  const { stopDist, geom } = tr.pattern;
  const n = tr.arrMs.length;
  const progressAt = (t: number): number => {
    if (t <= tr.depMs[0]!) return stopDist[0]!;
    for (let i = 1; i < n; i++) {
      if (t < tr.arrMs[i]!) return stopDist[i - 1]! + ((t - tr.depMs[i - 1]!) / (tr.arrMs[i]! - tr.depMs[i - 1]!)) * (stopDist[i]! - stopDist[i - 1]!);
      if (t <= tr.depMs[i]!) return stopDist[i]!;
    }
    return stopDist[n - 1]!;
  };
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const phase = r() * everyMs;
  for (let t = tr.arrMs[0]! + phase; t <= tr.arrMs[n - 1]! + everyMs; t += everyMs) {
    const d = progressAt(t);
    const [x, y] = pointAt(geom, d);
    const [x2, y2] = pointAt(geom, d + 5);
    const moved = progressAt(t + 1000) - d;
    out.push({
      ts: Math.round(t), truth: tr, lat: LAT0 + (y + gauss() * 5) / M_LAT, lon: LON0 + (x + gauss() * 5) / M_LON,
      speedKmh: Math.max(0, moved * 3.6), courseDeg: ((Math.atan2(x2 - x, y2 - y) * 180) / Math.PI + 360) % 360,
    });
  }
  return out;
}

export interface EvalResult {
  day: string;
  positions: number;
  /** positions the engine took per second of its own time (matching, assignment, predictions) */
  positionsPerS: number;
  samples: number;
  buckets: ReturnType<typeof score>['buckets'];
  overall: number;
  bucketMean: number;
  /** positions where the engine named the trip the vehicle really ran */
  assignedRight: number;
  /** positions where it named none (before the first departure it is not sure yet; after the last stop) */
  unassigned: number;
  timetable: ReturnType<typeof score>;
}

export function runEval(opts: { days?: number; seed?: number; firstDay?: string } = {}): EvalResult[] {
  const seed = opts.seed ?? 7;
  const { feed, patterns } = buildCity(seed);
  const r = rng(seed + 1);
  let clockMs = 0;
  const travel = new TravelTimes();
  const engine = new RealtimeEngine(() => feed, () => clockMs, ZONE, travel);
  const byTrip = new Map<string, Pattern>();
  for (const t of feed.trips.values()) byTrip.set(t.tripId, patterns.find((p) => p.routeId === t.routeId && p.dir === t.directionId)!);
  const results: EvalResult[] = [];
  const days = 1 + (opts.days ?? 1);
  for (let d = 0; d < days; d++) {
    const day = addDays(opts.firstDay ?? '20261124', d);
    const dayStartMs = serviceDayStartMs(day, ZONE);
    const truths = [...feed.trips.keys()].map((tripId) => simulateTrip(r, feed, byTrip.get(tripId)!, tripId, dayStartMs));
    const events = truths.flatMap((tr) => positionsOf(r, tr, 10_000)).sort((a, b) => a.ts - b.ts);
    const samples: Sample[] = [];
    const timetableSamples: Sample[] = [];
    let right = 0;
    let none = 0;
    let counted = 0;
    let engineNs = 0n;
    for (const e of events) {
      clockMs = e.ts + 1_000;
      const t0 = process.hrtime.bigint();
      engine.onPosition(e.truth.vehicleId, e.truth.vehicleId, e.truth.routeId, { ts: e.ts, lat: e.lat, lon: e.lon, speedKmh: e.speedKmh, courseDeg: e.courseDeg });
      engineNs += process.hrtime.bigint() - t0;
      const state = engine.tripState(e.truth.vehicleId)!;
      counted++;
      if (state.tripId === e.truth.tripId) right++;
      else if (state.tripId === null) none++;
      // Every prediction counts, a wrongly assigned vehicle's too: judged by when the vehicle
      // really reached that stop (never, on this trip: wrong by the whole horizon).
      const stopIndex = new Map(e.truth.pattern.stopIds.map((id, k) => [id, k]));
      for (const p of engine.predictionsOf(e.truth.vehicleId)) {
        if (p.index === 0) continue;
        const k = stopIndex.get(p.stopId);
        const actual = k === undefined || k === 0 ? Infinity : e.truth.arrMs[k]!;
        if (actual <= e.ts) continue;
        samples.push({ leadS: (p.arrivalMs - e.ts) / 1000, errorS: (actual - p.arrivalMs) / 1000 });
        if (state.tripId === e.truth.tripId) timetableSamples.push({ leadS: (p.scheduledArrivalMs - e.ts) / 1000, errorS: (actual - p.scheduledArrivalMs) / 1000 });
      }
    }
    const s = score(samples);
    results.push({ day, positions: events.length, positionsPerS: events.length / (Number(engineNs) / 1e9), samples: samples.length, buckets: s.buckets, overall: s.overall, bucketMean: s.bucketMean, assignedRight: counted ? right / counted : 0, unassigned: counted ? none / counted : 0, timetable: score(timetableSamples) });
  }
  return results;
}

function main(): void {
  const args = process.argv.slice(2);
  const arg = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : undefined;
  };
  const started = Date.now();
  const results = runEval({ days: arg('days') ?? 1, seed: arg('seed') ?? 7 });
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  results.forEach((res, i) => {
    console.log(`\n${i === 0 ? 'warm-up day' : 'scored day'} ${res.day}: ${res.positions} positions (${Math.round(res.positionsPerS)} a second through the engine), ${res.samples} predictions, trip assigned right at ${pct(res.assignedRight)} of positions, none at ${pct(res.unassigned)}, another at ${pct(1 - res.assignedRight - res.unassigned)}`);
    console.log('| lead | window (early / late) | predictions | accurate | timetable alone (same trips) |');
    console.log('| --- | --- | ---: | ---: | ---: |');
    res.buckets.forEach((b, k) => {
      const w = BUCKETS[k]!;
      console.log(`| ${b.name} | ${w.earlyS} s / ${w.lateS} s | ${b.n} | ${pct(b.accuracy)} | ${pct(res.timetable.buckets[k]!.accuracy)} |`);
    });
    console.log(`| overall | | ${res.samples} | ${pct(res.overall)} | ${pct(res.timetable.overall)} |`);
    console.log(`| mean of buckets | | | ${pct(res.bucketMean)} | ${pct(res.timetable.bucketMean)} |`);
  });
  console.log(`\n(${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
