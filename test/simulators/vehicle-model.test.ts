import { describe, expect, it } from 'vitest';
import { PositionPayload } from '../../services/contracts/index.ts';
import { angleDiffDeg, bearingDeg, distanceM } from '../../simulators/city/geo.ts';
import { routeById } from '../../simulators/city/routes.ts';
import { MAX_CRUISE_KMH, MAX_DWELL_S, MIN_CRUISE_KMH, MIN_DWELL_S, VehicleModel, type VehicleSample } from '../../simulators/city/vehicle-model.ts';

const route = routeById('T3')!;
const T0 = Date.parse('2026-11-26T06:00:00Z');

function model(index = 0, count = 6, seed = 1): VehicleModel {
  return new VehicleModel({ route, key: `demo-trk-00${index + 1}`, index, count, seed });
}

/** Two hours at one sample a second: more than two round trips. */
function trace(m: VehicleModel, from = T0, seconds = 7_200): VehicleSample[] {
  const out: VehicleSample[] = [];
  for (let i = 0; i <= seconds; i++) out.push(m.sample(from + i * 1000));
  return out;
}

describe('vehicle model', () => {
  const m = model();
  const samples = trace(m);

  it('is a pure function of time and seed', () => {
    const again = model();
    for (const t of [T0 + 123_456, T0, T0 + 3_600_000, T0 - 86_400_000]) expect(again.sample(t)).toEqual(m.sample(t));
    const otherSeed = model(0, 6, 2);
    expect(otherSeed.sample(T0)).not.toEqual(m.sample(T0));
  });

  it('keeps speed between 0 and the cruise limit, and cruises at street speed between stops', () => {
    expect(Math.min(...samples.map((s) => s.speedKmh))).toBe(0);
    expect(Math.max(...samples.map((s) => s.speedKmh))).toBeLessThanOrEqual(MAX_CRUISE_KMH);
    expect(samples.filter((s) => s.phase !== 'moving' && s.speedKmh !== 0)).toEqual([]);
    // Each drive between stops of a few hundred metres reaches cruising speed.
    let legMax = 0;
    let legs = 0;
    for (const s of samples) {
      if (s.phase === 'moving') legMax = Math.max(legMax, s.speedKmh);
      else if (legMax > 0) {
        expect(legMax).toBeGreaterThanOrEqual(MIN_CRUISE_KMH - 1);
        legs++;
        legMax = 0;
      }
    }
    expect(legs).toBeGreaterThan(40);
  });

  it('accelerates and brakes gradually (about 1 m/s², plus GPS speed noise)', () => {
    let worst = 0;
    for (let i = 1; i < samples.length; i++) worst = Math.max(worst, Math.abs(samples[i]!.speedKmh - samples[i - 1]!.speedKmh));
    expect(worst).toBeGreaterThan(2);
    expect(worst).toBeLessThanOrEqual(5);
  });

  it('stays on the route within a few metres', () => {
    const off = samples.filter((_, i) => i % 7 === 0).map((s) => m.line.distanceTo([s.lat, s.lon]));
    expect(Math.max(...off)).toBeLessThan(4);
  });

  it('moves no faster than it says it does', () => {
    let fastest = 0;
    for (let i = 1; i < samples.length; i++) fastest = Math.max(fastest, Math.abs(samples[i]!.distanceM - samples[i - 1]!.distanceM));
    expect(fastest).toBeGreaterThan(MIN_CRUISE_KMH / 3.6);
    expect(fastest).toBeLessThanOrEqual(MAX_CRUISE_KMH / 3.6 + 0.01);
  });

  it('dwells 15–40 s at stops, standing at the stop', () => {
    const runs: Array<{ stopId: string; seconds: number; at: VehicleSample }> = [];
    let current: { stopId: string; seconds: number; at: VehicleSample } | null = null;
    for (const s of samples) {
      if (s.phase === 'dwell' && s.stopId) {
        if (current && current.stopId === s.stopId) current.seconds++;
        else {
          current = { stopId: s.stopId, seconds: 1, at: s };
          runs.push(current);
        }
      } else current = null;
    }
    // The first and last runs may be cut by the trace's ends.
    const whole = runs.slice(1, -1);
    expect(whole.length).toBeGreaterThan(30);
    for (const r of whole) {
      expect(r.seconds).toBeGreaterThanOrEqual(MIN_DWELL_S - 1);
      expect(r.seconds).toBeLessThanOrEqual(MAX_DWELL_S + 1);
      const stop = route.stops.find((s) => s.id === r.stopId)!;
      expect(distanceM([r.at.lat, r.at.lon], [stop.lat, stop.lon])).toBeLessThan(4);
    }
    // Every intermediate stop is served in both directions.
    const served = new Set(runs.map((r) => r.stopId));
    for (const s of route.stops.slice(1, -1)) expect(served.has(s.id)).toBe(true);
  });

  it('turns around at both termini after a layover', () => {
    const first = route.stops[0]!.id;
    const last = route.stops[route.stops.length - 1]!.id;
    const layovers = new Set(samples.filter((s) => s.phase === 'layover').map((s) => s.stopId));
    expect(layovers).toEqual(new Set([first, last]));
    let flips = 0;
    for (let i = 1; i < samples.length; i++) if (samples[i]!.outbound !== samples[i - 1]!.outbound) flips++;
    expect(flips).toBeGreaterThanOrEqual(3);
  });

  it('reports the course of travel', () => {
    let checked = 0;
    let agree = 0;
    let worst = 0;
    for (let i = 0; i + 1 < samples.length; i++) {
      const a = samples[i]!;
      const b = samples[i + 1]!;
      if (a.phase !== 'moving' || Math.abs(b.distanceM - a.distanceM) < 3) continue;
      const travelled = bearingDeg(m.line.pointAt(a.distanceM), m.line.pointAt(b.distanceM));
      checked++;
      const diff = angleDiffDeg(travelled, a.courseDeg);
      if (diff < 10) agree++;
      worst = Math.max(worst, diff);
    }
    // Never backwards.
    expect(worst).toBeLessThan(100);
    expect(checked).toBeGreaterThan(2_000);
    // Only the seconds that round a corner may disagree.
    expect(agree / checked).toBeGreaterThan(0.97);
  });

  it('counts the odometer up with the distance driven', () => {
    let worst = 0;
    for (let i = 1; i < samples.length; i++) {
      const d = samples[i]!.odometerKm - samples[i - 1]!.odometerKm;
      worst = Math.max(worst, Math.abs(d * 1000 - Math.abs(samples[i]!.distanceM - samples[i - 1]!.distanceM)));
    }
    expect(worst).toBeLessThan(0.01);
    expect(samples[samples.length - 1]!.odometerKm - samples[0]!.odometerKm).toBeGreaterThan(2 * route.lengthM / 1000);
  });

  it('spaces the vehicles of a route along it', () => {
    const fleet = Array.from({ length: 6 }, (_, i) => model(i, 6));
    for (const t of [T0, T0 + 600_000, T0 + 1_800_000, T0 + 5_000_000]) {
      // Position on the round trip: out along the line, then back.
      const along = fleet
        .map((v) => v.sample(t))
        .map((s) => (s.outbound ? s.distanceM : 2 * route.lengthM - s.distanceM))
        .sort((a, b) => a - b);
      const gaps = along.map((x, i) => (i === 0 ? along[along.length - 1]! - 2 * route.lengthM : along[i - 1]!) - x).map(Math.abs);
      expect(Math.min(...gaps)).toBeGreaterThan(300);
    }
  });

  it('publishes payloads the contract accepts', () => {
    for (const s of samples.filter((_, i) => i % 5 === 0)) {
      const p = m.position(s.ts);
      const parsed = PositionPayload.safeParse(p);
      expect(parsed.success, JSON.stringify(p)).toBe(true);
      expect(parsed.data?.ts).toBe(s.ts);
      expect(p.fix).toBe(true);
      expect(p.satellites).toBeGreaterThanOrEqual(4);
    }
  });
});
