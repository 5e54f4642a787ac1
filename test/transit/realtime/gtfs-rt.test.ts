/**
 * The three GTFS-Realtime feeds, decoded with gtfs-realtime-bindings and checked against
 * MobilityData's gtfs-realtime-validator rules (RULES.md; ids cited per assertion).
 */
import GtfsRealtimeBindings from 'gtfs-realtime-bindings';
import { afterEach, describe, expect, it } from 'vitest';
import { ShapeGeometry } from '../../../services/transit/matching/shape-geometry.ts';
import { RealtimeEngine } from '../../../services/transit/realtime/engine.ts';
import type { ServiceAlertInput } from '../../../services/transit/realtime/gtfs-rt.ts';
import { at, kyivMs, lineFeed } from './feed-fixture.ts';
import { Clock, drive, stopToStop } from './drive.ts';
import { routeHarness, type RouteHarness } from './app.ts';

const rt = GtfsRealtimeBindings.transit_realtime;
type Message = GtfsRealtimeBindings.transit_realtime.FeedMessage;

let h: RouteHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const toNumber = (x: unknown): number => (typeof x === 'number' ? x : Number(String(x)));
/** E001: POSIX seconds, not milliseconds (between 2017 and 2100). */
const isPosixSeconds = (x: unknown) => toNumber(x) > 1_500_000_000 && toNumber(x) < 4_102_444_800;

async function city() {
  const feed = lineFeed();
  const clock = new Clock(kyivMs(7, 59, 30));
  const engine = new RealtimeEngine(() => feed, clock.now, 'Europe/Kyiv');
  const alerts: ServiceAlertInput[] = [
    { id: 'roadworks', routeIds: ['R1'], stopIds: ['S3'], startMs: kyivMs(6), endMs: kyivMs(20), header: { uk: 'Ремонт дороги', en: 'Roadworks' }, description: { uk: 'Зупинку S3 перенесено', en: 'Stop S3 moved' } },
    { id: 'old', routeIds: ['R1'], stopIds: [], startMs: kyivMs(5), endMs: kyivMs(6), header: { uk: 'Минуло' } },
  ];
  h = await routeHarness(engine, clock.now, () => alerts);
  // V1 runs the 08:00 outbound trip; V2 the 08:00 inbound; V3 leaves the route by 300 m;
  // V4 reports from 20 km away (a depot outside the network).
  drive(engine, clock, 'V1', 0, [{ toM: 0, seconds: 30 }]);
  clock.ms = kyivMs(7, 59, 30);
  drive(engine, clock, 'V2', 2000, [{ toM: 2000, seconds: 30 }]);
  clock.ms = kyivMs(8, 0, 0);
  const legs = stopToStop(0, 2, 120, 0);
  for (let k = 0; k < 24; k++) {
    const t = clock.ms;
    drive(engine, clock, 'V1', (k * 1000) / 24, [{ toM: ((k + 1) * 1000) / 24, seconds: 10 }], { everyS: 10 });
    clock.ms = t;
    drive(engine, clock, 'V2', 2000 - (k * 1000) / 24, [{ toM: 2000 - ((k + 1) * 1000) / 24, seconds: 10 }], { everyS: 10 });
  }
  expect(legs.length).toBe(2);
  clock.ms = kyivMs(8, 0, 0);
  drive(engine, clock, 'V3', 0, [{ toM: 300, seconds: 60 }]);
  drive(engine, clock, 'V3', 300, [{ toM: 400, seconds: 100 }], { northM: 300 });
  const far = at(20_000, 0);
  engine.onPosition('V4', 'dev-V4', 'R1', { ts: clock.ms - 5_000, lat: far.lat, lon: far.lon });
  clock.ms += 3_000;
  return { feed, clock, engine, h };
}

async function fetchFeed(h: RouteHarness, name: string): Promise<Message> {
  const res = await h.app.inject({ url: `/gtfs-rt/${name}` });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toBe('application/x-protobuf');
  return rt.FeedMessage.decode(res.rawPayload);
}

function checkHeader(m: Message, nowMs: number) {
  expect(m.header.gtfsRealtimeVersion).toBe('2.0');
  expect(m.header.incrementality).toBe(rt.FeedHeader.Incrementality.FULL_DATASET);
  expect(isPosixSeconds(m.header.timestamp)).toBe(true); // E001
  expect(toNumber(m.header.timestamp)).toBeGreaterThanOrEqual(Math.floor(nowMs / 1000) - 65); // W008
}

describe('GTFS-Realtime', () => {
  it('VehiclePositions: one entity per vehicle, trips named only near their shape, nothing outside the network', async () => {
    const { feed, clock, h } = await city();
    const m = await fetchFeed(h, 'vehicle-positions');
    checkHeader(m, clock.ms);
    const header = toNumber(m.header.timestamp);
    const vehicles = m.entity.map((e) => e.vehicle!);
    const ids = vehicles.map((v) => v.vehicle!.id);
    expect(ids.sort()).toEqual(['V1', 'V2', 'V3']); // V4 is 20 km away (E028)
    expect(new Set(ids).size).toBe(ids.length); // E052
    const shapes = [...feed.shapes.values()].map((pts) => new ShapeGeometry(pts));
    for (const v of vehicles) {
      expect(v.timestamp).toBeTruthy(); // W001
      expect(isPosixSeconds(v.timestamp)).toBe(true); // E001
      expect(toNumber(v.timestamp)).toBeLessThanOrEqual(header); // E012
      expect(v.vehicle?.id).toBeTruthy(); // W002
      const p = v.position!;
      expect(Math.abs(p.latitude)).toBeLessThanOrEqual(90); // E026
      expect(Math.abs(p.longitude)).toBeLessThanOrEqual(180);
      if (p.bearing !== null && p.bearing !== undefined) expect(p.bearing >= 0 && p.bearing <= 360).toBe(true); // E027
      expect(Math.min(...shapes.map((s) => s.project(p.latitude, p.longitude).offM))).toBeLessThanOrEqual(1_609); // E028
      if (v.trip?.tripId) {
        const trip = feed.trips.get(v.trip.tripId);
        expect(trip).toBeDefined(); // E003
        expect(feed.routes.has(v.trip.routeId!)).toBe(true); // E004
        const shape = new ShapeGeometry(feed.shapes.get(trip!.shapeId!)!);
        expect(shape.project(p.latitude, p.longitude).offM).toBeLessThanOrEqual(200); // E029
        if (v.stopId) expect(feed.stops.has(v.stopId)).toBe(true); // E011
      }
    }
    const v1 = vehicles.find((v) => v.vehicle!.id === 'V1')!;
    expect(v1.trip).toMatchObject({ tripId: 'T0-480', routeId: 'R1', directionId: 0, startDate: '20261127', startTime: '08:00:00' });
    expect(vehicles.find((v) => v.vehicle!.id === 'V3')!.trip).toBeNull(); // 300 m off: E029
  });

  it('TripUpdates: trip and vehicle named, an arrival for every stop ahead, times increasing', async () => {
    const { feed, clock, engine, h } = await city();
    const m = await fetchFeed(h, 'trip-updates');
    checkHeader(m, clock.ms);
    const header = toNumber(m.header.timestamp);
    const updates = m.entity.map((e) => e.tripUpdate!);
    expect(updates.map((u) => u.vehicle!.id).sort()).toEqual(['V1', 'V2']);
    for (const u of updates) {
      expect(u.timestamp).toBeTruthy(); // W001
      expect(toNumber(u.timestamp)).toBeLessThanOrEqual(header); // E012
      expect(u.vehicle?.id).toBeTruthy(); // W002
      const trip = feed.trips.get(u.trip.tripId!);
      expect(trip).toBeDefined(); // E003
      expect(u.trip.routeId).toBe(trip!.routeId); // E004
      expect(feed.routes.has(u.trip.routeId!)).toBe(true);
      expect(u.trip.directionId).toBe(trip!.directionId);
      expect(u.trip.startDate).toMatch(/^\d{8}$/);
      const stopTimes = feed.stopTimes.get(trip!.tripId)!;
      const first = stopTimes[0]!.arrivalS;
      expect(u.trip.startTime).toBe(`${String(Math.floor(first / 3600)).padStart(2, '0')}:${String((first % 3600) / 60).padStart(2, '0')}:00`); // E023
      // Every stop still ahead, in order, with the static feed's stop_sequence and stop_id.
      const ahead = engine.predictionsOf(u.vehicle!.id!);
      expect(u.stopTimeUpdate!.map((s) => s.stopSequence)).toEqual(ahead.map((p) => p.stopSequence));
      let last = -Infinity;
      for (const s of u.stopTimeUpdate!) {
        expect(feed.stops.has(s.stopId!)).toBe(true); // E011
        expect(stopTimes.find((st) => st.stopSequence === s.stopSequence)!.stopId).toBe(s.stopId);
        const arr = toNumber(s.arrival!.time);
        expect(isPosixSeconds(arr)).toBe(true); // E001
        expect(arr).toBeGreaterThan(last); // E022
        last = arr;
        if (s.departure) {
          const dep = toNumber(s.departure.time);
          expect(dep).toBeGreaterThanOrEqual(arr); // E025
          expect(isPosixSeconds(dep)).toBe(true);
          last = dep;
        }
      }
    }
    const u1 = updates.find((u) => u.vehicle!.id === 'V1')!;
    expect(u1.stopTimeUpdate!.map((s) => s.stopId)).toEqual(['S3', 'S4', 'S5']);
  });

  it('Alerts: those not over, with their period, routes and stops, in Ukrainian and English', async () => {
    const { clock, h } = await city();
    const m = await fetchFeed(h, 'alerts');
    checkHeader(m, clock.ms);
    expect(m.entity.map((e) => e.id)).toEqual(['roadworks']);
    const a = m.entity[0]!.alert!;
    expect(a.activePeriod!.map((p) => [toNumber(p.start), toNumber(p.end)])).toEqual([[kyivMs(6) / 1000, kyivMs(20) / 1000]]);
    expect(a.informedEntity!.map((e) => e.routeId || e.stopId)).toEqual(['R1', 'S3']);
    expect(a.headerText!.translation!.map((t) => [t.language, t.text])).toEqual([['uk', 'Ремонт дороги'], ['en', 'Roadworks']]);
  });

  it('answers JSON for people with ?format=json, and needs no token', async () => {
    const { h } = await city();
    const res = await h.app.inject({ url: '/gtfs-rt/vehicle-positions?format=json' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = res.json();
    expect(body.header).toMatchObject({ gtfsRealtimeVersion: '2.0', incrementality: 'FULL_DATASET' });
    expect(body.entity.map((e: { vehicle: { vehicle: { id: string } } }) => e.vehicle.vehicle.id).sort()).toEqual(['V1', 'V2', 'V3']);
    const bad = await h.app.inject({ url: '/gtfs-rt/trip-updates?format=xml' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().issues[0].field).toBe('format');
  });
});
