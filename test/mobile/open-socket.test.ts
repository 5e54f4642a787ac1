/**
 * The passengers' `/open` Socket.IO namespace in a real hub on the demo city's GTFS feed with
 * trips around the clock (so nothing depends on the hour it runs at), with
 * trolleybuses reporting over real MQTT and a dispatcher's service alert: a socket with no token
 * joins a stop and hears its arrivals and alerts, pushed as they change; it is held to a few rooms
 * of real stops, reaches no other namespace or room, and spends the open REST endpoints' budget.
 * Then the seam itself (services/realtime) with a bare channel: connections per address.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPEN_MAX_ROOMS, OpenRouteVehicle, type OpenArrivals, type OpenStopAlerts } from '../../services/contracts/index.ts';
import { createMetrics } from '../../services/observability/metrics.ts';
import type { RealtimeChannel } from '../../services/platform/domain-module.ts';
import { startRealtime } from '../../services/realtime/socket-server.ts';
import { writeDemoAroundTheClock } from '../support/gtfs-folder.ts';
import { eventually, startTestHub, type TestHub } from '../support/hub.ts';
import { makeTempDir } from '../support/temp-dir.ts';
import { T1_PATH, drive } from './vehicles.ts';

interface Heard { event: string; arg: unknown }

/** Connects (resolving the socket) or is refused (resolving the error). */
function connect(url: string, opts: { address?: string; token?: string } = {}): Promise<{ s: Socket; heard: Heard[]; error?: undefined } | { error: Error; s: Socket; heard?: undefined }> {
  const s = io(url, {
    transports: ['websocket'], reconnection: false, forceNew: true,
    ...(opts.token ? { auth: { token: opts.token } } : {}),
    ...(opts.address ? { extraHeaders: { 'x-forwarded-for': opts.address } } : {}),
  });
  const heard: Heard[] = [];
  s.onAny((event: string, arg: unknown) => heard.push({ event, arg }));
  return new Promise((resolve) => {
    s.on('connect', () => resolve({ s, heard }));
    s.on('connect_error', (error) => resolve({ error, s }));
  });
}

describe('/open in a hub on the demo feed', () => {
  let t: TestHub;
  const sockets: Socket[] = [];
  const passenger = async (address: string) => {
    const c = await connect(`${t.httpUrl}/open`, { address });
    sockets.push(c.s);
    if (c.error) throw c.error;
    return c;
  };

  const gtfs = makeTempDir('demo-gtfs');

  beforeAll(async () => {
    writeDemoAroundTheClock(gtfs.path);
    // TRUST_PROXY: each test speaks from its own (forwarded) address, so their budgets are apart.
    t = await startTestHub({ GTFS_PATH: gtfs.path, CITY_TZ: 'Europe/Kyiv', TRUST_PROXY: 'true' });
  });
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await t?.stop();
    gtfs.remove();
  });

  it('lets a socket with no token join a stop: its board and alerts at once, then each change pushed', async () => {
    const { s, heard } = await passenger('10.1.0.1');
    expect(await s.emitWithAck('join', { room: 'stop:st-avtovokzal' })).toEqual({ ok: true });
    // At once: the board, as the open REST answer gives it, and the stop's alerts (none yet).
    const first = await eventually(async () => heard.find((h) => h.event === 'arrivals')?.arg as OpenArrivals[] | undefined);
    expect(first).toHaveLength(1);
    expect(first[0]!.stop).toMatchObject({ stopId: 'st-avtovokzal', name: 'Автовокзал' });
    expect(await eventually(async () => heard.find((h) => h.event === 'alerts')?.arg)).toEqual([{ stopId: 'st-avtovokzal', generatedAt: expect.any(String), alerts: [] }]);
    expect(heard.some((h) => h.event === 'snapshot')).toBe(false);

    // A trolleybus on route 1 reports, on its way to the stop: its arrival is pushed.
    await drive(t, 'trk-o1', 'TB-301', T1_PATH.slice(0, 2));
    const pushed = await eventually(async () => heard.filter((h) => h.event === 'arrivals').flatMap((h) => h.arg as OpenArrivals[]).find((b) => b.arrivals.some((a) => a.vehicleId === 'TB-301')));
    expect(pushed.stop.stopId).toBe('st-avtovokzal');
    expect(pushed.arrivals.find((a) => a.vehicleId === 'TB-301')).toMatchObject({ routeId: 'T1', routeShortName: '1', realtime: true, color: '#E53935', textColor: '#FFFFFF' });
    // The same board as REST gives.
    const rest = (await (await t.api('/api/v1/open/stops/st-avtovokzal/arrivals', { token: null })).json()) as OpenArrivals;
    expect(rest.arrivals.some((a) => a.vehicleId === 'TB-301')).toBe(true);

    // A dispatcher's alert on route 1 (which calls here) is pushed; its end is pushed as an empty list.
    const created = await t.api('/api/v1/transit/service-alerts', { method: 'POST', json: { routeIds: ['T1'], header: { uk: 'Ремонт колії', en: 'Track works' } } });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: number };
    const alerted = await eventually(async () => heard.filter((h) => h.event === 'alerts').flatMap((h) => h.arg as OpenStopAlerts[]).find((a) => a.alerts.length > 0));
    expect(alerted.stopId).toBe('st-avtovokzal');
    expect(alerted.alerts[0]).toMatchObject({ id: `service-alert-${id}`, alert: { informedEntity: [{ routeId: 'T1' }], headerText: { translation: [{ text: 'Ремонт колії', language: 'uk' }, { text: 'Track works', language: 'en' }] } } });
    const told = heard.filter((h) => h.event === 'alerts').length;
    expect((await t.api(`/api/v1/transit/service-alerts/${id}`, { method: 'DELETE' })).status).toBe(200);
    const cleared = await eventually(async () => heard.filter((h) => h.event === 'alerts').slice(told).flatMap((h) => h.arg as OpenStopAlerts[]).find((a) => a.stopId === 'st-avtovokzal'));
    expect(cleared.alerts).toEqual([]);
    // Only its own stop's news ever came.
    const stops = new Set(heard.flatMap((h) => (h.arg as Array<{ stopId?: string; stop?: { stopId: string } }>).map((x) => x.stopId ?? x.stop?.stopId)));
    expect([...stops]).toEqual(['st-avtovokzal']);
  }, 30_000);

  it('lets a socket with no token join a route: its vehicles reporting now at once, then each move pushed, none of another route', async () => {
    await drive(t, 'trk-r1', 'TB-311', T1_PATH.slice(0, 1));
    const { s, heard } = await passenger('10.1.0.6');
    expect(await s.emitWithAck('join', { room: 'route:T1' })).toEqual({ ok: true });
    const vehicles = () => heard.filter((h) => h.event === 'vehicles').flatMap((h) => h.arg as OpenRouteVehicle[]);
    // At once: the route's vehicles now, TB-311 among them.
    await eventually(async () => vehicles().find((v) => v.vehicleId === 'TB-311'));
    // It moves (over MQTT): the new position is pushed; a trolleybus on route 2 is not.
    await drive(t, 'trk-r2', 'TB-322', T1_PATH.slice(2, 3), 'T2');
    await drive(t, 'trk-r1', 'TB-311', T1_PATH.slice(1, 3));
    const [lat, lon] = T1_PATH[2]!;
    const moved = await eventually(async () => vehicles().find((v) => v.vehicleId === 'TB-311' && v.lat === lat));
    expect(moved).toEqual({ vehicleId: 'TB-311', routeId: 'T1', lat, lon, courseDeg: 200, stale: false, ts: expect.any(String) });
    // Only what a passenger needs, exactly as the contract says (no device id, trip, speed).
    for (const v of vehicles()) expect(OpenRouteVehicle.parse(v)).toEqual(v);
    expect(vehicles().every((v) => v.routeId === 'T1')).toBe(true);
    expect(heard.filter((h) => h.event !== 'vehicles')).toEqual([]);
    // A socket in route 2's room hears TB-322 and not TB-311.
    const other = await passenger('10.1.0.6');
    expect(await other.s.emitWithAck('join', { room: 'route:T2' })).toEqual({ ok: true });
    await drive(t, 'trk-r1', 'TB-311', T1_PATH.slice(3, 4));
    await drive(t, 'trk-r2', 'TB-322', T1_PATH.slice(3, 4), 'T2');
    await eventually(async () => other.heard.flatMap((h) => h.arg as OpenRouteVehicle[]).find((v) => v.vehicleId === 'TB-322' && v.lat === T1_PATH[3]![0]));
    await eventually(async () => vehicles().find((v) => v.vehicleId === 'TB-311' && v.lat === T1_PATH[3]![0]));
    expect(other.heard.every((h) => h.event === 'vehicles' && (h.arg as OpenRouteVehicle[]).every((v) => v.routeId === 'T2'))).toBe(true);
    expect(vehicles().some((v) => v.vehicleId === 'TB-322')).toBe(false);
    // Routes of the feed only; route rooms count towards the same bound.
    expect(await s.emitWithAck('join', { room: 'route:T99' })).toEqual({ ok: false, error: 'no such room: route:T99' });
    for (const room of ['route:T2', 'route:T3', 'stop:st-avtovokzal', 'stop:st-balka']) expect(await s.emitWithAck('join', { room }), room).toEqual({ ok: true });
    expect(await s.emitWithAck('join', { room: 'route:T5' })).toEqual({ ok: false, error: `at most ${OPEN_MAX_ROOMS} rooms per connection; leave one first` });
  }, 30_000);

  it(`holds a socket to ${OPEN_MAX_ROOMS} rooms, of stops in the feed`, async () => {
    const { s } = await passenger('10.1.0.2');
    const stops = ['st-avtovokzal', 'st-balka', 'st-balka-market', 'st-balka-park', 'st-balka-school', 'st-damba'];
    for (const id of stops.slice(0, OPEN_MAX_ROOMS)) expect(await s.emitWithAck('join', { room: `stop:${id}` })).toEqual({ ok: true });
    // Joining one it is in already costs no room.
    expect(await s.emitWithAck('join', { room: 'stop:st-avtovokzal' })).toEqual({ ok: true });
    expect(await s.emitWithAck('join', { room: 'stop:st-damba' })).toEqual({ ok: false, error: `at most ${OPEN_MAX_ROOMS} rooms per connection; leave one first` });
    s.emit('leave', { room: 'stop:st-balka' });
    expect(await s.emitWithAck('join', { room: 'stop:st-damba' })).toEqual({ ok: true });
    s.emit('leave', { room: 'stop:st-damba' });
    expect(await s.emitWithAck('join', { room: 'stop:nowhere' })).toEqual({ ok: false, error: 'no such room: stop:nowhere' });
  });

  it('reaches no other namespace and no other room', async () => {
    for (const nsp of ['/stops', '/transit', '/lighting', '/energy']) {
      const c = await connect(`${t.httpUrl}${nsp}`, { address: '10.1.0.3' });
      sockets.push(c.s);
      expect(c.error?.message, nsp).toBe('unauthorized: a valid token is required in auth.token');
    }
    const { s, heard } = await passenger('10.1.0.3');
    for (const room of ['alerts:dispatch', 'group:g1', 'building:b1', 'all', 'stop:', 'route:']) {
      expect(await s.emitWithAck('join', { room }), room).toEqual({ ok: false, error: 'room must look like stop:{id}, route:{id}' });
    }
    // A vehicle reports and a board changes: a socket in no room hears none of it.
    const idle = await passenger('10.1.0.3');
    await drive(t, 'trk-o2', 'TB-302', T1_PATH.slice(1, 3));
    const watcher = await passenger('10.1.0.3');
    await watcher.s.emitWithAck('join', { room: 'stop:st-avtovokzal' });
    await eventually(async () => watcher.heard.filter((h) => h.event === 'arrivals').flatMap((h) => h.arg as OpenArrivals[]).some((b) => b.arrivals.some((a) => a.vehicleId === 'TB-302')));
    expect(idle.heard).toEqual([]);
    expect(heard).toEqual([]);
  }, 30_000);

  it('spends the open REST endpoints’ budget per address: connecting and joining are refused past it', async () => {
    const address = '10.1.0.4';
    const ask = () => fetch(`${t.httpUrl}/api/v1/open/stops?q=balka`, { headers: { 'x-forwarded-for': address } });
    // The budget refills at one a second: spend it over REST, then connect at once (tried again
    // should a second have passed in between on a slow machine).
    const refused = await eventually(async () => {
      while ((await ask()).status !== 429);
      const c = await connect(`${t.httpUrl}/open`, { address });
      sockets.push(c.s);
      return c.error;
    }, 20_000, 'a refused connection');
    expect(refused.message).toMatch(/^too many requests from this address; try again in \d+ s$/);
    // Another address is not concerned; when it spends its budget, its joins are refused.
    expect((await ask()).status).toBe(429);
    const other = await passenger('10.1.0.5');
    const otherAsk = () => fetch(`${t.httpUrl}/api/v1/open/stops?q=balka`, { headers: { 'x-forwarded-for': '10.1.0.5' } });
    const joinRefused = await eventually(async () => {
      while ((await otherAsk()).status !== 429);
      const got = (await other.s.emitWithAck('join', { room: 'stop:st-balka' })) as { ok: boolean; error?: string };
      if (got.ok) other.s.emit('leave', { room: 'stop:st-balka' });
      return got.ok ? undefined : got;
    }, 20_000, 'a refused join');
    expect(joinRefused.error).toMatch(/^too many requests from this address; try again in \d+ s$/);
  }, 30_000);
});

describe('an open channel on the realtime seam', () => {
  let http: HttpServer;
  let rt: ReturnType<typeof startRealtime>;
  let url: string;
  const sockets: Socket[] = [];
  let admitted = 0;
  const channel: RealtimeChannel = {
    namespace: '/pub',
    roles: [],
    roomPrefixes: ['stop'],
    open: { maxRooms: 2, maxConnectionsPerAddress: 2, admit: () => (++admitted > 1000 ? 'spent' : undefined), exists: (room) => room !== 'stop:gone' },
    snapshot: () => ['never sent'],
    joined: (room) => [{ event: 'hello', items: [room] }],
    tick: () => [],
  };

  beforeAll(async () => {
    http = createServer();
    rt = startRealtime(http, { auth: { authenticate: () => undefined }, metrics: createMetrics(), channels: [channel], trustProxy: true });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/pub`;
  });
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await rt?.close();
    http?.close();
  });

  it('refuses a channel both open and with roles', () => {
    expect(() => startRealtime(createServer(), { auth: { authenticate: () => undefined }, metrics: createMetrics(), channels: [{ ...channel, roles: ['display'] }] })).toThrow(/an open channel takes no roles/);
  });

  it('holds an address to its connections at once, and gives a place back when one closes', async () => {
    const a = await connect(url, { address: '10.2.0.1' });
    const b = await connect(url, { address: '10.2.0.1' });
    sockets.push(a.s, b.s);
    expect([a.error, b.error]).toEqual([undefined, undefined]);
    const c = await connect(url, { address: '10.2.0.1' });
    sockets.push(c.s);
    expect(c.error?.message).toBe('too many connections from this address (at most 2 at once)');
    expect((await connect(url, { address: '10.2.0.2' })).error).toBeUndefined();
    a.s.close();
    const d = await eventually(async () => {
      const x = await connect(url, { address: '10.2.0.1' });
      sockets.push(x.s);
      return x.error ? undefined : x;
    });
    // Nothing namespace-wide, the joined room's state at once, rooms bounded, unknown rooms refused.
    expect(await d.s.emitWithAck('join', { room: 'stop:gone' })).toEqual({ ok: false, error: 'no such room: stop:gone' });
    expect(await d.s.emitWithAck('join', { room: 'stop:a' })).toEqual({ ok: true });
    expect(await d.s.emitWithAck('join', { room: 'stop:b' })).toEqual({ ok: true });
    expect(await d.s.emitWithAck('join', { room: 'stop:c' })).toEqual({ ok: false, error: 'at most 2 rooms per connection; leave one first' });
    expect(d.heard).toEqual([{ event: 'hello', arg: ['stop:a'] }, { event: 'hello', arg: ['stop:b'] }]);
  });

  it('does not end its sockets for want of a token', async () => {
    const { watchSessions } = await import('../../services/realtime/session-watch.ts');
    const e = await connect(url, { address: '10.2.0.3' });
    sockets.push(e.s);
    const watch = watchSessions(rt.io, { authenticate: () => undefined, untokened: rt.isOpen });
    try {
      expect(watch.recheck()).toBe(0);
      expect(e.s.connected).toBe(true);
    } finally {
      watch.close();
    }
  });
});
