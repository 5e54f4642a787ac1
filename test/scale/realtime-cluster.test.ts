import mqtt from 'mqtt';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics, type VehicleState } from '../../services/contracts/index.ts';
import { ADMIN_TOKEN, eventually, startTestHub, type TestHub } from '../support/hub.ts';
import { startRedis, type RunningRedis } from '../support/redis.ts';

/**
 * Two hubs on one Redis: a dashboard on either instance sees what the other took in, through
 * the peer feed (services/ingest/peer-feed.ts). Each registry knows the trackers (registered on
 * both: the registries are separate SQLite files here).
 */
describe('live push across instances (peer feed over Redis)', () => {
  let redis: RunningRedis;
  let a: TestHub;
  let b: TestHub;
  let tracker: mqtt.MqttClient;
  const sockets: Socket[] = [];
  const connect = (hub: TestHub, nsp: string) => {
    const s = io(`${hub.httpUrl}${nsp}`, { auth: { token: ADMIN_TOKEN }, transports: ['websocket'], reconnection: false });
    sockets.push(s);
    return s;
  };
  const vehiclesOn = (s: Socket): VehicleState[] => {
    const seen: VehicleState[] = [];
    s.on('vehicles', (batch: VehicleState[]) => seen.push(...batch));
    return seen;
  };

  beforeAll(async () => {
    redis = await startRedis();
    a = await startTestHub({ REDIS_URL: redis.url, HUB_INSTANCE_ID: 'hub-a' });
    b = await startTestHub({ REDIS_URL: redis.url, HUB_INSTANCE_ID: 'hub-b' });
    const { secret } = await a.register({ id: 'trk-sc1', kind: 'tracker', protocol: 'mqtt', vehicleId: 'TB-901', routeId: 'T9' });
    await b.register({ id: 'trk-sc1', kind: 'tracker', protocol: 'mqtt', vehicleId: 'TB-901', routeId: 'T9' });
    tracker = await mqtt.connectAsync(`mqtt://127.0.0.1:${a.mqttPort}`, { username: 'trk-sc1', password: secret, reconnectPeriod: 0 });
  }, 60_000);

  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await tracker?.endAsync(true);
    await a?.stop();
    await b?.stop();
    await redis?.stop();
  });

  it('a dashboard on B, in a route room or on the whole map, sees a vehicle that reported to A', async () => {
    const whole = connect(b, '/transit');
    const room = connect(b, '/transit');
    await Promise.all([whole, room].map((s) => new Promise((resolve) => s.once('snapshot', resolve))));
    const joined = await new Promise<{ ok: boolean }>((resolve) => room.emit('join', { room: 'route:T9' }, resolve));
    expect(joined.ok).toBe(true);
    const onWhole = vehiclesOn(whole);
    const onRoom = vehiclesOn(room);

    await tracker.publishAsync(topics.position('trk-sc1'), JSON.stringify({ ts: new Date().toISOString(), lat: 48.5111, lon: 32.2611, speedKmh: 22 }), { qos: 1 });

    const seenWhole = await eventually(async () => onWhole.find((v) => v.vehicleId === 'TB-901'), 10_000, 'the vehicle on the whole-map socket of B');
    const seenRoom = await eventually(async () => onRoom.find((v) => v.vehicleId === 'TB-901'), 10_000, 'the vehicle in the route room on B');
    for (const v of [seenWhole, seenRoom]) expect(v).toMatchObject({ vehicleId: 'TB-901', routeId: 'T9', lat: 48.5111, lon: 32.2611 });
    // B's own live state is whole: its REST list has the vehicle too, and it was pushed once.
    const list = (await (await b.api('/api/v1/transit/vehicles')).json()) as VehicleState[];
    expect(list.find((v) => v.vehicleId === 'TB-901')).toMatchObject({ lat: 48.5111, lon: 32.2611 });
    expect(onWhole.filter((v) => v.vehicleId === 'TB-901')).toHaveLength(1);
  });

  it('a room on B gets only its own route: a vehicle of another route does not reach it', async () => {
    const { secret } = await a.register({ id: 'trk-sc2', kind: 'tracker', protocol: 'mqtt', vehicleId: 'TB-902', routeId: 'T4' });
    await b.register({ id: 'trk-sc2', kind: 'tracker', protocol: 'mqtt', vehicleId: 'TB-902', routeId: 'T4' });
    const other = await mqtt.connectAsync(`mqtt://127.0.0.1:${a.mqttPort}`, { username: 'trk-sc2', password: secret, reconnectPeriod: 0 });
    const whole = connect(b, '/transit');
    const room = connect(b, '/transit');
    await Promise.all([whole, room].map((s) => new Promise((resolve) => s.once('snapshot', resolve))));
    await new Promise((resolve) => room.emit('join', { room: 'route:T9' }, resolve));
    const onWhole = vehiclesOn(whole);
    const onRoom = vehiclesOn(room);
    await other.publishAsync(topics.position('trk-sc2'), JSON.stringify({ ts: new Date().toISOString(), lat: 48.52, lon: 32.27 }), { qos: 1 });
    await tracker.publishAsync(topics.position('trk-sc1'), JSON.stringify({ ts: new Date().toISOString(), lat: 48.5122, lon: 32.2622 }), { qos: 1 });
    // Both are pushed in order by A; once the room has the T9 update, the T4 one would have come before it.
    await eventually(async () => onWhole.find((v) => v.vehicleId === 'TB-902'), 10_000, 'TB-902 on the whole map');
    await eventually(async () => onRoom.find((v) => v.vehicleId === 'TB-901' && v.lat === 48.5122), 10_000, 'TB-901 in its room');
    expect(onRoom.map((v) => v.vehicleId)).not.toContain('TB-902');
    await other.endAsync(true);
  });
});
