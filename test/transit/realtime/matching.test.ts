import { describe, expect, it } from 'vitest';
import { ShapeGeometry, angleBetween } from '../../../services/transit/matching/shape-geometry.ts';
import { ON_ROUTE, nextOffRoute } from '../../../services/transit/matching/off-route.ts';
import { TripGeometries } from '../../../services/transit/matching/trip-geometry.ts';
import { at, lineFeed } from './feed-fixture.ts';

describe('shape matching', () => {
  const line = new ShapeGeometry([at(0), at(1000), at(1000, 1000)]);

  it('gives progress along the shape, distance off it and its bearing', () => {
    expect(line.lengthM).toBeCloseTo(2000, 0);
    const p = line.project(at(400, 30).lat, at(400, 30).lon);
    expect(p.progressM).toBeCloseTo(400, 0);
    expect(p.offM).toBeCloseTo(30, 0);
    expect(p.bearingDeg).toBeCloseTo(90, 0);
    const q = line.project(at(1020, 600).lat, at(1020, 600).lon);
    expect(q.progressM).toBeCloseTo(1600, 0);
    expect(q.offM).toBeCloseTo(20, 0);
    expect(q.bearingDeg).toBeCloseTo(0, 0);
  });

  it('says how far a position far from every segment is', () => {
    const far = line.project(at(-3000, 0).lat, at(-3000, 0).lon);
    expect(far.progressM).toBe(0);
    expect(far.offM).toBeCloseTo(3000, -1);
  });

  it('tells the two passes of an out-and-back shape apart by the expected progress', () => {
    const outAndBack = new ShapeGeometry([at(0), at(1000), at(1000, 10), at(0, 10)]);
    const here = at(300, 5);
    expect(outAndBack.project(here.lat, here.lon, { hintM: 250 }).progressM).toBeCloseTo(300, 0);
    expect(outAndBack.project(here.lat, here.lon, { hintM: 1700 }).progressM).toBeCloseTo(1710, 0);
    // Never further back than `fromM`.
    expect(outAndBack.project(here.lat, here.lon, { fromM: 1200 }).progressM).toBeCloseTo(1710, 0);
  });

  it('places a loop\'s first and last stop (the same place) at its start and end', () => {
    const loop = new ShapeGeometry([at(0), at(500), at(500, 500), at(0, 500), at(0)]);
    const d = loop.stopDistances([at(0), at(500, 250), at(0, 250), at(0)]);
    expect([...d].map((x) => Math.round(x))).toEqual([0, 750, 1750, 2000]);
  });

  it('builds trip geometry from shapes, and from the stops when a trip has none', () => {
    const feed = lineFeed();
    const g = new TripGeometries(feed);
    const t0 = g.of(feed.trips.get('T0-480')!)!;
    expect([...t0.stopDistM].map(Math.round)).toEqual([0, 500, 1000, 1500, 2000]);
    const noShape = { ...feed.trips.get('T1-480')!, tripId: 'T1-480', shapeId: undefined };
    feed.trips.set('T1-480', noShape);
    const t1 = new TripGeometries(feed).of(noShape)!;
    expect(t1.shape.lengthM).toBeCloseTo(2000, 0);
    expect(t1.stopDistM[4]).toBeCloseTo(2000, 0);
  });

  it('compares bearings across north', () => {
    expect(angleBetween(350, 10)).toBe(20);
    expect(angleBetween(90, 270)).toBe(180);
  });
});

describe('off route', () => {
  it('is off route after more than 60 s more than 100 m from the shape, and back on at once', () => {
    let s = nextOffRoute(ON_ROUTE, 150, 0);
    expect(s).toEqual({ offSinceMs: 0, offRoute: false });
    s = nextOffRoute(s, 140, 60_000);
    expect(s.offRoute).toBe(false);
    s = nextOffRoute(s, 120, 60_001);
    expect(s.offRoute).toBe(true);
    expect(nextOffRoute(s, 99, 70_000)).toEqual(ON_ROUTE);
    // 100 m exactly is still on the route.
    expect(nextOffRoute(ON_ROUTE, 100, 0).offSinceMs).toBeNull();
  });
});
