import { describe, expect, it } from 'vitest';
import { CITY_BOUNDS } from '../../simulators/city/demo-city.ts';
import { angleDiffDeg, bearingDeg, distanceM, Polyline } from '../../simulators/city/geo.ts';
import { DEMO_ROUTES, demoStops, routeById } from '../../simulators/city/routes.ts';

describe('demo routes', () => {
  it('has at least 8 routes of both kinds with unique ids and bilingual names', () => {
    expect(DEMO_ROUTES.length).toBeGreaterThanOrEqual(8);
    expect(new Set(DEMO_ROUTES.map((r) => r.id)).size).toBe(DEMO_ROUTES.length);
    expect(DEMO_ROUTES.some((r) => r.kind === 'trolleybus')).toBe(true);
    expect(DEMO_ROUTES.some((r) => r.kind === 'bus')).toBe(true);
    for (const r of DEMO_ROUTES) {
      expect(r.demo).toBe(true);
      expect(r.name.uk).toMatch(/[а-яіїєґ]/i);
      expect(r.name.en).toMatch(/^[\x20-\x7e—]+$/);
      expect(routeById(r.id)).toBe(r);
    }
  });

  it('keeps every vertex inside the city', () => {
    for (const r of DEMO_ROUTES) {
      for (const [lat, lon] of r.polyline) {
        expect(lat).toBeGreaterThan(CITY_BOUNDS.south);
        expect(lat).toBeLessThan(CITY_BOUNDS.north);
        expect(lon).toBeGreaterThan(CITY_BOUNDS.west);
        expect(lon).toBeLessThan(CITY_BOUNDS.east);
      }
    }
  });

  it('draws streets: many short segments, no jumps, no U-turns, city-sized lengths', () => {
    for (const r of DEMO_ROUTES) {
      expect(r.polyline.length).toBeGreaterThan(80);
      expect(r.lengthM).toBeGreaterThan(3_000);
      expect(r.lengthM).toBeLessThan(15_000);
      for (let i = 1; i < r.polyline.length; i++) {
        const d = distanceM(r.polyline[i - 1]!, r.polyline[i]!);
        expect(d).toBeGreaterThan(0);
        expect(d).toBeLessThanOrEqual(41);
      }
      for (let i = 1; i + 1 < r.polyline.length; i++) {
        const turn = angleDiffDeg(bearingDeg(r.polyline[i - 1]!, r.polyline[i]!), bearingDeg(r.polyline[i]!, r.polyline[i + 1]!));
        expect(turn, `${r.id} vertex ${i}`).toBeLessThan(120);
      }
      // Streets bend: no straight run (no turn of 1° or more) longer than about a kilometre.
      let run = 0;
      let longest = 0;
      for (let i = 1; i < r.polyline.length; i++) {
        run += distanceM(r.polyline[i - 1]!, r.polyline[i]!);
        const next = r.polyline[i + 1];
        if (!next || angleDiffDeg(bearingDeg(r.polyline[i - 1]!, r.polyline[i]!), bearingDeg(r.polyline[i]!, next)) >= 1) {
          longest = Math.max(longest, run);
          run = 0;
        }
      }
      expect(longest, r.id).toBeLessThan(1_100);
    }
  });

  it('orders stops along the line, termini at the ends, each stop on the line', () => {
    for (const r of DEMO_ROUTES) {
      const line = new Polyline(r.polyline);
      expect(r.stops.length).toBeGreaterThanOrEqual(6);
      expect(r.stops[0]!.atM).toBe(0);
      expect(r.stops[r.stops.length - 1]!.atM).toBeCloseTo(r.lengthM, 6);
      for (let i = 1; i < r.stops.length; i++) {
        const gap = r.stops[i]!.atM - r.stops[i - 1]!.atM;
        expect(gap).toBeGreaterThan(150);
        expect(gap).toBeLessThan(1_500);
      }
      for (const s of r.stops) {
        expect(line.distanceTo([s.lat, s.lon])).toBeLessThan(0.5);
        expect(distanceM(line.pointAt(s.atM), [s.lat, s.lon])).toBeLessThan(0.5);
        expect(s.name.uk.length).toBeGreaterThan(0);
        expect(s.name.en.length).toBeGreaterThan(0);
      }
    }
  });

  it('shares stops between routes by id and position', () => {
    const stops = demoStops();
    expect(new Set(stops.map((s) => s.id)).size).toBe(stops.length);
    expect(stops.some((s) => s.routeIds.length >= 3)).toBe(true);
    const railway = stops.find((s) => s.id === 'st-vokzal');
    expect(railway).toBeDefined();
    expect(distanceM([railway!.lat, railway!.lon], [48.523, 32.288])).toBeLessThan(300);
  });
});
