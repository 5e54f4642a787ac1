/**
 * The realtime half of transit inside a real hub: positions over MQTT, the vehicle's trip in
 * its live state, a stop's board by REST and pushed to its room in `/stops`, GTFS-Realtime.
 */
import GtfsRealtimeBindings from 'gtfs-realtime-bindings';
import mqtt from 'mqtt';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics, type StopBoard, type VehicleState } from '../../../services/contracts/index.ts';
import { DOMAINS } from '../../../services/hub/domains.ts';
import { createTransitModule, transitDomain } from '../../../services/transit/module.ts';
import { EVERY_DAY } from '../../support/gtfs-folder.ts';
import { ADMIN_TOKEN, eventually, startTestHub, type TestHub } from '../../support/hub.ts';
import { at, lineFeed } from './feed-fixture.ts';

describe('transit realtime in the hub', () => {
  // Trips every 10 minutes all day, every day: whenever the test runs, one leaves S1 soon.
  const feed = lineFeed({ firstH: 0, lastH: 25 });
  feed.calendars.set('WK', { serviceId: 'WK', ...EVERY_DAY });
  let t: TestHub;
  let client: mqtt.MqttClient;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    const domains = DOMAINS.map((d) => (d === transitDomain ? { ...transitDomain, create: (ctx: Parameters<typeof createTransitModule>[0]) => createTransitModule(ctx, () => feed) } : d));
    t = await startTestHub({ CITY_TZ: 'Europe/Kyiv' }, { domains });
    const { secret } = await t.register({ id: 'trk-1', kind: 'tracker', protocol: 'mqtt', vehicleId: 'BUS-1', routeId: 'R1' });
    client = await mqtt.connectAsync(`mqtt://127.0.0.1:${t.mqttPort}`, { username: 'trk-1', password: secret });
  });
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await client?.endAsync();
    await t?.stop();
  });

  it('follows a vehicle waiting at the terminus as the next departure, and pushes the boards of the stops ahead', async () => {
    const s = io(`${t.httpUrl}/stops`, { auth: { token: ADMIN_TOKEN }, transports: ['websocket'], reconnection: false });
    sockets.push(s);
    await new Promise((resolve) => s.on('connect', () => resolve(undefined)));
    expect(await s.emitWithAck('join', { room: 'stop:S3' })).toEqual({ ok: true });
    const pushed: StopBoard[] = [];
    s.on('arrivals', (boards: StopBoard[]) => pushed.push(...boards));

    const p = at(0);
    for (const dt of [-20_000, -10_000, 0]) await client.publishAsync(topics.position('trk-1'), JSON.stringify({ ts: Date.now() + dt, lat: p.lat, lon: p.lon, speedKmh: 0 }), { qos: 1 });

    const vehicle = await eventually(async () => {
      const list = (await (await t.api('/api/v1/transit/vehicles')).json()) as VehicleState[];
      return list.find((v) => v.vehicleId === 'BUS-1' && v.tripId);
    });
    expect(vehicle.tripId).toMatch(/^T0-\d+$/);
    expect(vehicle).toMatchObject({ offRoute: false, progressM: 0 });

    const res = await t.api('/api/v1/transit/stops/S3/arrivals');
    const board = (await res.json()) as StopBoard;
    const live = board.arrivals.find((a) => a.realtime)!;
    expect(live).toMatchObject({ vehicleId: 'BUS-1', tripId: vehicle.tripId, routeShortName: '1', headsign: 'Stop 5' });

    const push = await eventually(async () => pushed.find((b) => b.stopId === 'S3' && b.arrivals.some((a) => a.vehicleId === 'BUS-1')));
    expect(push.arrivals.find((a) => a.vehicleId === 'BUS-1')!.tripId).toBe(vehicle.tripId);
    // Only the room's stop.
    expect(pushed.every((b) => b.stopId === 'S3')).toBe(true);

    const rtRes = await fetch(`${t.httpUrl}/gtfs-rt/trip-updates`);
    expect(rtRes.headers.get('content-type')).toBe('application/x-protobuf');
    const m = GtfsRealtimeBindings.transit_realtime.FeedMessage.decode(new Uint8Array(await rtRes.arrayBuffer()));
    expect(m.entity.map((e) => [e.tripUpdate?.trip.tripId, e.tripUpdate?.vehicle?.id])).toEqual([[vehicle.tripId, 'BUS-1']]);
  });

  it('takes a dispatcher\'s assignment and binds a display to its stops (the domain\'s migration ran)', async () => {
    const list = (await (await t.api('/api/v1/transit/vehicles')).json()) as VehicleState[];
    const next = `T0-${Number(list[0]!.tripId!.slice(3)) + 10}`;
    const put = await t.api('/api/v1/transit/vehicles/BUS-1/assignment', { method: 'PUT', json: { tripId: next } });
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ tripId: next, manual: true });
    const bind = await t.api('/api/v1/transit/displays/token:board/stops', { method: 'PUT', json: { stopIds: ['S3'] } });
    expect(await bind.json()).toEqual({ principal: 'token:board', stopIds: ['S3'] });
  });
});
