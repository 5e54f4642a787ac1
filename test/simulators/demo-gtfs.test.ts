import { describe, expect, it } from 'vitest';
import { formatIssue } from '../../services/transit/gtfs/load.ts';
import { loadGtfsPath, readGtfsFolder } from '../../services/transit/gtfs/read.ts';
import { demoCity } from '../../simulators/city/demo-city.ts';
import { DEMO_GTFS_DIR, demoGtfsFiles, MIN_LAYOVER_S } from '../../simulators/city/demo-gtfs.ts';
import { distanceM, Polyline } from '../../simulators/city/geo.ts';
import { DEMO_ROUTES } from '../../simulators/city/routes.ts';

const result = loadGtfsPath(DEMO_GTFS_DIR);
const feed = result.ok ? result.feed : undefined;

describe('the demo city as a GTFS feed', () => {
  it('loads with no errors and no warnings', () => {
    expect(result.ok ? [] : result.errors.map(formatIssue)).toEqual([]);
    expect(result.warnings.map(formatIssue)).toEqual([]);
  });

  it('is what the generator makes (the committed folder is not stale)', () => {
    const committed = readGtfsFolder(DEMO_GTFS_DIR);
    const made = demoGtfsFiles();
    expect([...committed.keys()].sort()).toEqual(Object.keys(made).sort());
    for (const [name, text] of Object.entries(made)) expect(new TextDecoder().decode(committed.get(name)), name).toBe(text);
  });

  it('is labelled demo, with trolleybus and bus routes and the demo stops', () => {
    expect(feed!.agencies[0]!.name).toMatch(/^DEMO /);
    expect(feed!.agencies[0]!.timezone).toBe('Europe/Kyiv');
    expect([...feed!.routes.values()].map((r) => [r.routeId, r.type])).toEqual(DEMO_ROUTES.map((r) => [r.id, r.kind === 'trolleybus' ? 11 : 3]));
    for (const r of feed!.routes.values()) expect(r.color).toMatch(/^[0-9A-F]{6}$/);
    const stop = feed!.stops.get('st-vokzal')!;
    expect(stop.name).toBe('Залізничний вокзал');
    expect(distanceM([stop.lat, stop.lon], [48.523, 32.288])).toBeLessThan(5);
  });

  it('runs more often in the rush hours than at midday or late at night', () => {
    for (const routeId of ['T1', 'A120']) {
      const departures = [...feed!.trips.values()]
        .filter((t) => t.routeId === routeId && t.directionId === 0)
        .map((t) => feed!.stopTimes.get(t.tripId)![0]!.departureS)
        .sort((a, b) => a - b);
      const count = (fromH: number, toH: number) => departures.filter((s) => s >= fromH * 3600 && s < toH * 3600).length;
      expect(count(8, 9)).toBeGreaterThan(count(12, 13));
      expect(count(17, 18)).toBeGreaterThan(count(12, 13));
      expect(count(12, 13)).toBeGreaterThan(count(22, 23));
      expect(count(1, 5)).toBe(0);
    }
  });

  it('plans longer running times in the rush hours', () => {
    const run = (tripPrefix: string) => {
      const id = [...feed!.trips.keys()].find((t) => t.startsWith(tripPrefix))!;
      const st = feed!.stopTimes.get(id)!;
      return st[st.length - 1]!.arrivalS - st[0]!.departureS;
    };
    expect(run('T3-0-08')).toBeGreaterThan(run('T3-0-05') * 1.2);
  });

  it('chains each block trip after trip, turning at the terminus after a layover', () => {
    const byBlock = new Map<string, string[]>();
    for (const t of feed!.trips.values()) byBlock.set(t.blockId!, [...(byBlock.get(t.blockId!) ?? []), t.tripId]);
    for (const [block, trips] of byBlock) {
      const legs = trips.map((id) => feed!.stopTimes.get(id)!).sort((a, b) => a[0]!.departureS - b[0]!.departureS);
      for (let i = 1; i < legs.length; i++) {
        const prev = legs[i - 1]!;
        const next = legs[i]!;
        expect(next[0]!.stopId, block).toBe(prev[prev.length - 1]!.stopId);
        expect(next[0]!.departureS - prev[prev.length - 1]!.arrivalS, block).toBeGreaterThanOrEqual(MIN_LAYOVER_S);
      }
    }
    // One block per demo vehicle: the demo city can run the whole timetable.
    const trackers = demoCity().filter((d) => d.kind === 'tracker');
    for (const r of DEMO_ROUTES) {
      const blocks = new Set([...feed!.trips.values()].filter((t) => t.routeId === r.id).map((t) => t.blockId));
      expect(blocks.size, r.id).toBe(trackers.filter((d) => d.routeId === r.id).length);
    }
  });

  it('puts every stop on its trip’s shape at the distance stop_times gives', () => {
    const lines = new Map([...feed!.shapes].map(([id, pts]) => [id, new Polyline(pts.map((p) => [p.lat, p.lon] as const))]));
    for (const t of [...feed!.trips.values()].filter((_, i) => i % 40 === 0)) {
      const line = lines.get(t.shapeId!)!;
      for (const st of feed!.stopTimes.get(t.tripId)!) {
        const stop = feed!.stops.get(st.stopId)!;
        expect(distanceM(line.pointAt(st.shapeDistTraveled!), [stop.lat, stop.lon]), `${t.tripId} ${st.stopId}`).toBeLessThan(1);
      }
    }
  });
});
