/**
 * `npm run bench:transit`: positions per second through trip matching and prediction (the
 * realtime engine's `onPosition`), with the demo feed (simulators/city/demo-gtfs) and with a
 * feed a hundred times its size (every route, trip and shape copied with new ids; the stops
 * shared, so each stop is served a hundred times as often). Positions come from the demo city's
 * timetable simulator (every block of the feed, every 10 s), made beforehand; only the engine
 * is timed. Then the live demo city's accuracy: the engine's predictions, sampled once a minute
 * per vehicle, against the simulator's own arrivals (`arrivals(day)`). Prints a table and one
 * JSON line. Each feed's run is timed by the wall clock (positions a second) and by the CPU time
 * the process spent in it (process.cpuUsage: µs of CPU per position, garbage collection included),
 * which a machine shared with other work disturbs less. Options: --minutes N (the demo window,
 * default 120), --scaled-minutes N (default 5), --repeat N (runs per feed, each with a new engine,
 * default 1: the table shows the median and, from two runs on, the range).
 */
import { DAY_MS } from '../../simulators/city/kyiv-time.ts';
import { DEMO_GTFS_DIR } from '../../simulators/city/demo-gtfs.ts';
import { FeedIndex as SimIndex, TimetableVehicleModel } from '../../simulators/city/timetable-model.ts';
import type { GtfsFeed } from '../../services/transit/gtfs/model.ts';
import { formatIssue } from '../../services/transit/gtfs/load.ts';
import { loadGtfsPath } from '../../services/transit/gtfs/read.ts';
import { RealtimeEngine, type PositionInput } from '../../services/transit/realtime/engine.ts';
import { fmt, table } from './format.ts';

const ZONE = 'Europe/Kyiv';
const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const MINUTES = arg('minutes', 120);
const SCALED_MINUTES = arg('scaled-minutes', 5);
const REPEAT = Math.max(1, Math.floor(arg('repeat', 1)));
const STEP_MS = 10_000;
// A Wednesday; from 07:00 Kyiv time (the morning peak of the demo timetable).
const DAY = Math.floor(Date.parse('2026-11-25T00:00:00Z') / DAY_MS);
const FROM_MS = Date.parse('2026-11-25T07:00:00+02:00');

interface Report { positions: number; vehicles: number; seconds: number; perSecond: number; cpuUsPerPosition: number; assigned: number }

function loadDemo(): GtfsFeed {
  const r = loadGtfsPath(DEMO_GTFS_DIR);
  if (!r.ok) throw new Error(`the demo feed does not load: ${r.errors.map(formatIssue).join('; ')}`);
  return r.feed;
}

/** The feed with `times` copies of every route, trip and shape (copy 0 keeps the ids). */
function scaleFeed(feed: GtfsFeed, times: number): GtfsFeed {
  const out: GtfsFeed = { ...feed, routes: new Map(feed.routes), trips: new Map(feed.trips), stopTimes: new Map(feed.stopTimes), shapes: new Map(feed.shapes), frequencies: [...feed.frequencies] };
  for (let k = 1; k < times; k++) {
    for (const r of feed.routes.values()) out.routes.set(`${r.routeId}~${k}`, { ...r, routeId: `${r.routeId}~${k}` });
    for (const [id, s] of feed.shapes) out.shapes.set(`${id}~${k}`, s);
    for (const t of feed.trips.values()) {
      const tripId = `${t.tripId}~${k}`;
      out.trips.set(tripId, { ...t, tripId, routeId: `${t.routeId}~${k}`, ...(t.shapeId ? { shapeId: `${t.shapeId}~${k}` } : {}), ...(t.blockId ? { blockId: `${t.blockId}~${k}` } : {}) });
      out.stopTimes.set(tripId, feed.stopTimes.get(t.tripId)!.map((st) => ({ ...st, tripId })));
    }
  }
  return out;
}

interface Track { vehicleId: string; routeId: string; model: TimetableVehicleModel }

function tracks(feed: GtfsFeed): Track[] {
  const index = new SimIndex(feed);
  return [...index.blocks.entries()].map(([blockId, trips]) => ({ vehicleId: `V-${blockId}`, routeId: trips[0]!.routeId, model: new TimetableVehicleModel({ index, blockId, key: `trk-${blockId}` }) }));
}

/** Every vehicle's positions from `fromMs`, every 10 s for `minutes`, in time order; copies k ≥ 1 run the same as copy 0 on their own route. */
function positions(base: Track[], fromMs: number, minutes: number, copies: number): { vehicleId: string; routeId: string; p: PositionInput }[] {
  const out: { vehicleId: string; routeId: string; p: PositionInput }[] = [];
  for (let t = fromMs; t < fromMs + minutes * 60_000; t += STEP_MS) {
    for (const v of base) {
      const s = v.model.sample(t);
      const p = { ts: t, lat: s.lat, lon: s.lon, speedKmh: s.speedKmh, courseDeg: s.courseDeg };
      for (let k = 0; k < copies; k++) out.push(k === 0 ? { vehicleId: v.vehicleId, routeId: v.routeId, p } : { vehicleId: `${v.vehicleId}~${k}`, routeId: `${v.routeId}~${k}`, p });
    }
  }
  return out;
}

function run(feed: GtfsFeed, list: { vehicleId: string; routeId: string; p: PositionInput }[]): Report {
  let clock = list[0]?.p.ts ?? 0;
  const engine = new RealtimeEngine(() => feed, () => clock, ZONE);
  engine.onPosition('warm-up', 'warm-up', null, { ts: clock - 3_600_000, lat: 0, lon: 0 });
  engine.remove('warm-up');
  const devices = list.map((x) => `trk-${x.vehicleId}`);
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < list.length; i++) {
    const x = list[i]!;
    clock = x.p.ts;
    engine.onPosition(x.vehicleId, devices[i]!, x.routeId, x.p);
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const vehicles = new Set(list.map((x) => x.vehicleId)).size;
  const assigned = engine.tripStates().filter((s) => s.tripId).length;
  return {
    positions: list.length, vehicles, seconds: Math.round(seconds * 100) / 100, perSecond: Math.round(list.length / seconds),
    cpuUsPerPosition: Math.round(((cpu.user + cpu.system) / list.length) * 10) / 10, assigned,
  };
}

/** `REPEAT` runs, each with a new engine: the median run (by CPU per position) and every run's figures. */
function runs(feed: GtfsFeed, list: { vehicleId: string; routeId: string; p: PositionInput }[]): Report & { runs: { perSecond: number; cpuUsPerPosition: number }[] } {
  const all: Report[] = [];
  for (let r = 0; r < REPEAT; r++) all.push(run(feed, list));
  const sorted = [...all].sort((a, b) => a.cpuUsPerPosition - b.cpuUsPerPosition);
  return { ...sorted[Math.floor((sorted.length - 1) / 2)]!, runs: all.map((r) => ({ perSecond: r.perSecond, cpuUsPerPosition: r.cpuUsPerPosition })) };
}

/** Predictions sampled once a minute per vehicle, scored against the simulator's arrivals. */
function accuracy(feed: GtfsFeed, base: Track[], fromMs: number, minutes: number): { samples: number; medianAbsS: number; p90AbsS: number; within1MinUnder5MinPct: number } {
  let clock = fromMs;
  const engine = new RealtimeEngine(() => feed, () => clock, ZONE);
  const truth = new Map<string, number>();
  for (const v of base) for (const a of v.model.arrivals(DAY)) truth.set(`${a.tripId}|${a.stopSequence}`, a.arriveMs);
  const errs: number[] = [];
  let near = 0;
  let nearOk = 0;
  for (let t = fromMs; t < fromMs + minutes * 60_000; t += STEP_MS) {
    clock = t;
    for (const v of base) {
      const s = v.model.sample(t);
      engine.onPosition(v.vehicleId, `trk-${v.vehicleId}`, v.routeId, { ts: t, lat: s.lat, lon: s.lon, speedKmh: s.speedKmh, courseDeg: s.courseDeg });
      if ((t - fromMs) % 60_000 !== 0) continue;
      const tripId = engine.tripState(v.vehicleId)?.tripId;
      if (!tripId) continue;
      for (const p of engine.predictionsOf(v.vehicleId)) {
        const real = truth.get(`${tripId}|${p.stopSequence}`);
        if (real === undefined || real < t) continue;
        const err = Math.abs(p.arrivalMs - real) / 1000;
        errs.push(err);
        if (real - t < 5 * 60_000) {
          near++;
          if (err <= 60) nearOk++;
        }
      }
    }
  }
  errs.sort((a, b) => a - b);
  const q = (f: number) => Math.round(errs[Math.min(errs.length - 1, Math.floor(f * errs.length))] ?? 0);
  return { samples: errs.length, medianAbsS: q(0.5), p90AbsS: q(0.9), within1MinUnder5MinPct: near ? Math.round((nearOk / near) * 1000) / 10 : 0 };
}

const demo = loadDemo();
const base = tracks(demo);
const demoRun = runs(demo, positions(base, FROM_MS, MINUTES, 1));
const scaled = scaleFeed(demo, 100);
const scaledRun = runs(scaled, positions(base, FROM_MS, SCALED_MINUTES, 100));
const acc = accuracy(demo, base, FROM_MS, MINUTES);

const range = (xs: number[], digits: number) => (xs.length > 1 ? ` (${fmt(Math.min(...xs), digits)}–${fmt(Math.max(...xs), digits)})` : '');
const row = (name: string, trips: number, r: ReturnType<typeof runs>) => [
  name, fmt(trips), fmt(r.vehicles), fmt(r.positions), fmt(r.seconds, 2),
  fmt(r.perSecond) + range(r.runs.map((x) => x.perSecond), 0), fmt(r.cpuUsPerPosition, 1) + range(r.runs.map((x) => x.cpuUsPerPosition), 1),
  fmt(Math.round(1e6 / r.cpuUsPerPosition)),
];
console.log(table([
  ['feed', 'trips', 'vehicles', 'positions', 'seconds', 'positions/s (wall)', 'CPU µs/position', 'positions/s per CPU core'],
  row('demo', demo.trips.size, demoRun),
  row('demo ×100', scaled.trips.size, scaledRun),
]));
console.log(`runs per feed: ${REPEAT}${REPEAT > 1 ? ' (the median run by CPU, the range of all runs in brackets)' : ''}`);
console.log(`vehicles on a trip at the end: demo ${demoRun.assigned}/${demoRun.vehicles}, ×100 ${scaledRun.assigned}/${scaledRun.vehicles}`);
console.log(`demo city accuracy (${MINUTES} min from 07:00): ${acc.samples} predictions, |error| median ${acc.medianAbsS} s, p90 ${acc.p90AbsS} s; arrivals under 5 min away within 1 min: ${acc.within1MinUnder5MinPct} %`);
console.log(JSON.stringify({ bench: 'transit', repeat: REPEAT, demo: { ...demoRun, trips: demo.trips.size }, scaled: { ...scaledRun, trips: scaled.trips.size }, accuracy: acc }));
