import { describe, expect, it } from 'vitest';
import { PositionPayload } from '../../services/contracts/index.ts';
import { loadGtfsPath } from '../../services/transit/gtfs/read.ts';
import { demoCity } from '../../simulators/city/demo-city.ts';
import { DEMO_GTFS_DIR } from '../../simulators/city/demo-gtfs.ts';
import { distanceM } from '../../simulators/city/geo.ts';
import { DAY_MS, kyivInstant } from '../../simulators/city/kyiv-time.ts';
import { buildCityModels } from '../../simulators/city/models.ts';
import { FeedIndex, serviceDayStartMs, TimetableVehicleModel, type Passage } from '../../simulators/city/timetable-model.ts';
import { MAX_CRUISE_KMH } from '../../simulators/city/vehicle-model.ts';

const loaded = loadGtfsPath(DEMO_GTFS_DIR);
if (!loaded.ok) throw new Error('the demo feed does not load');
const feed = loaded.feed;
const index = new FeedIndex(feed);
/** A Wednesday in November (Kyiv winter time). */
const DAY = Math.floor(Date.UTC(2026, 10, 25) / DAY_MS);
const at = (hh: number, mm = 0) => kyivInstant(DAY, hh * 60 + mm);

const model = (blockId: string | null, key = 'demo-trk-001', seed = 1) => new TimetableVehicleModel({ index, blockId, parkAt: 'st-vokzal', key, seed });

describe('a vehicle running a block of the feed', () => {
  const v = model('T3-B02');
  const passages = v.arrivals(DAY);
  const blockTrips = index.blocks.get('T3-B02')!;

  it('is a pure function of time, block and seed', () => {
    const again = model('T3-B02');
    for (const t of [at(8, 3), at(12, 0), at(3, 0), at(23, 59)]) expect(again.sample(t)).toEqual(v.sample(t));
    expect(model('T3-B02', 'demo-trk-001', 2).arrivals(DAY)).not.toEqual(passages);
  });

  it('runs every trip of its block, stop by stop, in time order', () => {
    expect(new Set(passages.map((p) => p.tripId))).toEqual(new Set(blockTrips.map((t) => t.tripId)));
    for (let i = 1; i < passages.length; i++) {
      expect(passages[i]!.arriveMs).toBeGreaterThanOrEqual(passages[i - 1]!.departMs);
      expect(passages[i]!.departMs).toBeGreaterThanOrEqual(passages[i]!.arriveMs);
    }
    for (const trip of blockTrips) expect(passages.filter((p) => p.tripId === trip.tripId).map((p) => p.stopId)).toEqual(trip.stops.map((s) => s.stopId));
  });

  it('reports the trip it runs and stays on its shape, standing at stops when it dwells', () => {
    let inService = 0;
    for (let t = at(5, 0); t < at(24, 0); t += 37_000) {
      const s = v.sample(t);
      expect(s.speedKmh).toBeLessThanOrEqual(MAX_CRUISE_KMH);
      if (!s.inService) continue;
      inService++;
      const trip = index.trips.get(s.tripId!)!;
      expect(trip.routeId).toBe('T3');
      expect(trip.line.distanceTo([s.lat, s.lon])).toBeLessThan(4);
      if (s.phase !== 'moving') {
        const stop = feed.stops.get(s.stopId!)!;
        expect(distanceM([s.lat, s.lon], [stop.lat, stop.lon])).toBeLessThan(4);
      }
      expect(PositionPayload.safeParse(v.position(t)).success).toBe(true);
    }
    expect(inService).toBeGreaterThan(1000);
  });

  it('stands at the terminus with the ignition off outside service, and counts the odometer up', () => {
    const night = v.sample(at(3, 0));
    expect(night.inService).toBe(false);
    expect(night.speedKmh).toBe(0);
    expect(v.position(at(3, 0)).ignition).toBe(false);
    expect(night.stopId).toBe(blockTrips[0]!.stops[0]!.stopId);
    let odo = -Infinity;
    for (let t = at(2, 0); t < at(2, 0) + 2 * DAY_MS; t += 29_000) {
      const o = v.sample(t).odometerKm;
      expect(o).toBeGreaterThanOrEqual(odo);
      odo = o;
    }
  });

  it('starts its service day at noon minus 12 hours, local', () => {
    expect(serviceDayStartMs(DAY)).toBe(at(0, 0));
    // The day summer time ends (25 hours long): noon minus 12 h is 01:00 local.
    const autumn = Math.floor(Date.UTC(2026, 9, 25) / DAY_MS);
    expect(new Date(serviceDayStartMs(autumn)).toISOString()).toBe('2026-10-24T22:00:00.000Z');
  });
});

describe('the demo city on the timetable', () => {
  const devices = demoCity().filter((d) => d.kind === 'tracker');
  const models = buildCityModels(devices, { gtfs: feed });
  const all: Passage[] = [];
  for (const m of models.values()) if (m.kind === 'tracker' && m.model instanceof TimetableVehicleModel) all.push(...m.model.arrivals(DAY));
  const delayMin = (p: Passage) => (p.arriveMs - p.scheduledArriveMs) / 60_000;
  const hourOf = (p: Passage) => Math.floor(((p.scheduledArriveMs - at(0, 0)) / 3_600_000) % 24);

  it('gives every demo tracker one block of its route', () => {
    const blocks = [...models.values()].map((m) => (m.kind === 'tracker' && m.model instanceof TimetableVehicleModel ? m.model.blockId : 'none'));
    expect(blocks.filter((b) => b === 'none')).toEqual([]);
    expect(new Set(blocks).size).toBe(index.blocks.size);
  });

  it('runs later in the rush hours than at midday or in the evening', () => {
    const mean = (ps: Passage[]) => ps.reduce((s, p) => s + delayMin(p), 0) / ps.length;
    const rush = mean(all.filter((p) => hourOf(p) >= 8 && hourOf(p) < 10));
    const midday = mean(all.filter((p) => hourOf(p) >= 12 && hourOf(p) < 14));
    const evening = mean(all.filter((p) => hourOf(p) >= 21));
    expect(rush).toBeGreaterThan(midday + 0.5);
    expect(rush).toBeGreaterThan(evening + 0.5);
  });

  it('leaves the terminus late now and then, holds a vehicle for minutes now and then, never leaves a stop a minute early', () => {
    const firstStops = all.filter((p) => p.stopSequence === 1);
    const late = firstStops.filter((p) => p.departMs - p.scheduledArriveMs > 90_000);
    expect(late.length / firstStops.length).toBeGreaterThan(0.05);
    expect(late.length / firstStops.length).toBeLessThan(0.5);
    const held = all.filter((p) => p.stopSequence > 1 && p.departMs - p.arriveMs > 180_000);
    expect(held.length).toBeGreaterThan(5);
    for (const p of all) {
      const trip = index.trips.get(p.tripId)!;
      const st = trip.stops.find((s) => s.stopSequence === p.stopSequence)!;
      const scheduledDepart = at(0, 0) + st.depS * 1000;
      if (p.stopSequence !== trip.stops.at(-1)!.stopSequence) expect(p.departMs).toBeGreaterThanOrEqual(scheduledDepart - 60_001);
    }
  });

  it('bunches and gaps by itself: actual headways spread well beyond the timetable’s', () => {
    // Departures of route A120, direction 0, from its 6th stop: actual vs scheduled gaps.
    const at6 = all
      .filter((p) => index.trips.get(p.tripId)!.routeId === 'A120' && index.trips.get(p.tripId)!.directionId === 0 && p.stopSequence === 6)
      .sort((a, b) => a.scheduledArriveMs - b.scheduledArriveMs);
    const ratios: number[] = [];
    for (let i = 1; i < at6.length; i++) ratios.push((at6[i]!.arriveMs - at6[i - 1]!.arriveMs) / (at6[i]!.scheduledArriveMs - at6[i - 1]!.scheduledArriveMs));
    expect(Math.min(...ratios)).toBeLessThan(0.75);
    expect(Math.max(...ratios)).toBeGreaterThan(1.3);
  });
});
