/**
 * The passengers' open API: the pure helpers (rounded location, nearest, name search, token
 * bucket), then a real hub on the demo city's GTFS feed with trips around the clock (so nothing
 * depends on the hour it runs at) and a trolleybus reporting over MQTT.
 */
import Fastify from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installErrorHandler } from '../../services/http/error-handler.ts';
import { openRoutes } from '../../services/transit/open-routes.ts';
import { TokenBuckets } from '../../services/transit/open/rate-limit.ts';
import type { OpenArrivals, OpenRoute, OpenStop } from '../../services/contracts/index.ts';
import { nearestStops, normalizeName, parseNear, searchStops } from '../../services/transit/open/stops.ts';
import type { GtfsFeed } from '../../services/transit/gtfs/model.ts';
import type { RealtimeEngine } from '../../services/transit/realtime/engine.ts';
import type { LiveVehicles } from '../../services/transit/live-vehicles.ts';
import { writeDemoAroundTheClock } from '../support/gtfs-folder.ts';
import { eventually, startTestHub, type TestHub } from '../support/hub.ts';
import { makeTempDir } from '../support/temp-dir.ts';
import { T1_PATH, drive } from './vehicles.ts';

describe('open API helpers', () => {
  it('takes a location to 3 decimals and refuses a more precise one, naming the reason', () => {
    expect(parseNear('48.517,32.284')).toEqual({ ok: true, lat: 48.517, lon: 32.284 });
    expect(parseNear(' 48.5 , -32 ')).toEqual({ ok: true, lat: 48.5, lon: -32 });
    expect(parseNear('48.5171,32.284')).toMatchObject({ ok: false, reason: expect.stringMatching(/at most 3 decimals/) });
    expect(parseNear('91,32')).toMatchObject({ ok: false, reason: expect.stringMatching(/latitude/) });
    expect(parseNear('here')).toMatchObject({ ok: false, reason: expect.stringMatching(/lat,lon/) });
  });

  const stops = [
    { stopId: 'a', name: 'Автовокзал', names: { en: 'Bus Station' }, lat: 48.517, lon: 32.2838 },
    { stopId: 'b', name: 'Балка, ринок', names: { en: 'Balka Market' }, lat: 48.5351, lon: 32.2669 },
    { stopId: 'c', name: 'Вулиця Велика Балка', lat: 48.5478, lon: 32.2616 },
  ];
  it('finds the nearest stops first, within 5 km, distances to 10 m', () => {
    const near = nearestStops(stops, 48.517, 32.284, 2);
    expect(near.map((s) => s.stopId)).toEqual(['a', 'b']);
    expect(near[0]!.distanceM).toBe(10);
    expect(nearestStops(stops, 50, 30, 5)).toEqual([]);
  });
  it('searches names in Ukrainian and English, whatever the case and punctuation, starts first', () => {
    expect(normalizeName('  Балка,  РИНОК ')).toBe('балка ринок');
    expect(searchStops(stops, 'балка', 5).map((s) => s.stopId)).toEqual(['b', 'c']);
    expect(searchStops(stops, 'bus st', 5).map((s) => s.stopId)).toEqual(['a']);
    expect(searchStops(stops, 'ринок балка', 5).map((s) => s.stopId)).toEqual(['b']);
    expect(searchStops(stops, ' , ', 5)).toEqual([]);
  });
  it('lets a burst through, then asks to wait, per address; refills with time and forgets full buckets', () => {
    const b = new TokenBuckets({ capacity: 2, perSecond: 0.5 });
    expect(b.take('1.2.3.4', 0).ok).toBe(true);
    expect(b.take('1.2.3.4', 0).ok).toBe(true);
    expect(b.take('1.2.3.4', 0)).toEqual({ ok: false, retryAfterS: 2 });
    expect(b.take('5.6.7.8', 0).ok).toBe(true);
    expect(b.take('1.2.3.4', 2_000).ok).toBe(true);
    b.sweep(60_000);
    expect(b.size).toBe(0);
  });
});

describe('open API rate limit', () => {
  it('answers 429 with Retry-After past the burst, per client address (X-Forwarded-For when the proxy is trusted)', async () => {
    const app = Fastify({ trustProxy: true });
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    installErrorHandler(app);
    const feed = { stops: new Map(), routes: new Map(), trips: new Map(), stopTimes: new Map(), shapes: new Map(), files: new Map() } as unknown as GtfsFeed;
    await app.register(openRoutes({ feed: () => feed, engine: {} as RealtimeEngine, vehicles: {} as LiveVehicles, now: () => 0, rateLimit: { capacity: 2, perSecond: 0.1 } }));
    const ask = (ip: string) => app.inject({ url: '/api/v1/open/stops?q=x', headers: { 'x-forwarded-for': ip } });
    expect((await ask('10.0.0.1')).statusCode).toBe(200);
    expect((await ask('10.0.0.1')).statusCode).toBe(200);
    const refused = await ask('10.0.0.1');
    expect(refused.statusCode).toBe(429);
    expect(refused.headers['retry-after']).toBe('10');
    expect(refused.json()).toMatchObject({ statusCode: 429, message: expect.stringMatching(/too many requests/) });
    expect((await ask('10.0.0.2')).statusCode).toBe(200);
    await app.close();
  });
});

describe('open API in a hub on the demo feed', () => {
  let t: TestHub;
  const gtfs = makeTempDir('demo-gtfs');
  beforeAll(async () => {
    writeDemoAroundTheClock(gtfs.path);
    t = await startTestHub({ GTFS_PATH: gtfs.path, CITY_TZ: 'Europe/Kyiv' });
  });
  afterAll(async () => {
    await t?.stop();
    gtfs.remove();
  });
  const open = (path: string) => t.api(path, { token: null });

  it('gives the nearest stops to a rounded location, with their routes, and no token is needed', async () => {
    const res = await open('/api/v1/open/stops?near=48.517,32.284&limit=3');
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    const stops = (await res.json()) as OpenStop[];
    expect(stops).toHaveLength(3);
    expect(stops[0]).toMatchObject({ stopId: 'st-avtovokzal', name: 'Автовокзал', names: { en: 'Bus Station' }, distanceM: 10 });
    expect(stops[0]!.routes.map((r) => r.shortName)).toContain('1');
    expect(stops[0]!.routes.find((r) => r.routeId === 'T1')).toEqual({ routeId: 'T1', shortName: '1', type: 11, color: '#E53935', textColor: '#FFFFFF' });
  });

  it('refuses a precise location, both or neither of near and q, with the field named', async () => {
    const precise = await open('/api/v1/open/stops?near=48.51712,32.28401');
    expect(precise.status).toBe(400);
    expect(await precise.json()).toMatchObject({ issues: [{ field: 'near', reason: expect.stringMatching(/at most 3 decimals/) }] });
    expect((await open('/api/v1/open/stops')).status).toBe(400);
    expect((await open('/api/v1/open/stops?q=a&near=48.5,32.2')).status).toBe(400);
    expect(await (await open('/api/v1/open/stops?q=a&limit=99')).json()).toMatchObject({ issues: [{ field: 'limit' }] });
  });

  it('searches stops by name in Ukrainian and English', async () => {
    const uk = (await (await open(`/api/v1/open/stops?q=${encodeURIComponent('автовок')}`)).json()) as OpenStop[];
    expect(uk.map((s) => s.stopId)).toEqual(['st-avtovokzal']);
    const en = (await (await open('/api/v1/open/stops?q=bus%20station')).json()) as OpenStop[];
    expect(en.map((s) => s.stopId)).toEqual(['st-avtovokzal']);
  });

  it("gives a stop's arrivals with a reporting trolleybus on them, and a route's line with that vehicle", async () => {
    await drive(t, 'trk-m1', 'TB-101', T1_PATH.slice(0, 2));
    const board = await eventually(async () => {
      const b = (await (await open('/api/v1/open/stops/st-avtovokzal/arrivals')).json()) as OpenArrivals;
      return b.arrivals.some((a) => a.vehicleId === 'TB-101') ? b : undefined;
    }, 10_000, 'TB-101 on the board');
    expect(board.stop.name).toBe('Автовокзал');
    const a = board.arrivals.find((x) => x.vehicleId === 'TB-101')!;
    expect(a).toMatchObject({ routeId: 'T1', routeShortName: '1', realtime: true, color: '#E53935' });
    expect((await open('/api/v1/open/stops/nope/arrivals')).status).toBe(404);

    const route = (await (await open('/api/v1/open/routes/T1')).json()) as OpenRoute;
    expect(route.shortName).toBe('1');
    expect(route.directions[0]!.shape.length).toBeGreaterThan(10);
    expect(route.vehicles).toEqual([expect.objectContaining({ vehicleId: 'TB-101', lat: 48.52, lon: 32.28626, directionId: 0 })]);
    expect((await open('/api/v1/open/routes/T99')).status).toBe(404);
  });
});
