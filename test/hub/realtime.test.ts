import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { LIVE_MIN_INTERVAL_MS, topics, type VehicleState } from '../../services/contracts/index.ts';
import { ADMIN_TOKEN, eventually, startTestHub, type TestHub } from '../support/hub.ts';

/** Live push over Socket.IO: handshake token, roles per namespace, rooms, coalescing. */
describe('Socket.IO live state', () => {
  let t: TestHub;
  let device: mqtt.MqttClient;
  const sockets: Socket[] = [];
  const connect = (nsp: string, token?: string) => {
    const s = io(`${t.httpUrl}${nsp}`, { auth: token ? { token } : {}, transports: ['websocket'], reconnection: false });
    sockets.push(s);
    return s;
  };

  beforeAll(async () => {
    t = await startTestHub();
    for (const [i, route] of [[1, 'T1'], [2, 'T3']] as const) {
      const { secret } = await t.register({ id: `trk-rt${i}`, kind: 'tracker', protocol: 'mqtt', imei: `35630704244180${i}`, vehicleId: `TB-40${i}`, routeId: route });
      if (i === 1) device = await mqtt.connectAsync(`mqtt://127.0.0.1:${t.mqttPort}`, { username: `trk-rt${i}`, password: secret, clientId: `trk-rt${i}` });
      else {
        const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${t.mqttPort}`, { username: `trk-rt${i}`, password: secret });
        await c.publishAsync(topics.position(`trk-rt${i}`), JSON.stringify({ ts: Date.now(), lat: 48.52, lon: 32.27 }), { qos: 1 });
        await c.endAsync();
      }
    }
  });
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await device?.endAsync();
    await t?.stop();
  });

  it('refuses a handshake without a valid token, and a token without the role', async () => {
    const noToken = connect('/transit');
    const err = await new Promise<Error>((resolve) => noToken.on('connect_error', resolve));
    expect(err.message).toMatch(/unauthorized/);

    const tok = (await (await t.api('/api/v1/tokens', { method: 'POST', json: { name: 'energy desk', roles: ['energy'] } })).json()) as { token: string };
    const wrongRole = connect('/transit', tok.token);
    const err2 = await new Promise<Error>((resolve) => wrongRole.on('connect_error', resolve));
    expect(err2.message).toMatch(/forbidden/);
  });

  it('sends a snapshot, then coalesced updates: many positions become one per push', async () => {
    const s = connect('/transit', ADMIN_TOKEN);
    const snapshot = await new Promise<VehicleState[]>((resolve) => s.on('snapshot', resolve));
    expect(snapshot.map((v) => v.vehicleId)).toContain('TB-402');

    const batches: VehicleState[][] = [];
    s.on('vehicles', (b: VehicleState[]) => batches.push(b));
    const base = Date.now();
    const started = performance.now();
    // Twenty positions of one vehicle in a burst.
    await Promise.all(Array.from({ length: 20 }, (_, i) => device.publishAsync(topics.position('trk-rt1'), JSON.stringify({ ts: base + i, lat: 48.5 + i / 1000, lon: 32.26 }), { qos: 1 })));
    const last = await eventually(async () => batches.flat().find((v) => v.vehicleId === 'TB-401' && v.lat === 48.519));
    expect(last.routeId).toBe('T1');
    // One push at once, then at most one per LIVE_MIN_INTERVAL_MS, always with the latest state.
    const elapsedMs = performance.now() - started;
    const updates = batches.flat().filter((v) => v.vehicleId === 'TB-401').length;
    expect(updates).toBeLessThanOrEqual(1 + Math.ceil(elapsedMs / LIVE_MIN_INTERVAL_MS));
    expect(updates).toBeLessThan(20);
  });

  it('a client that joined a route room gets only that route', async () => {
    const s = connect('/transit', ADMIN_TOKEN);
    await new Promise((resolve) => s.on('snapshot', resolve));
    const ack = await s.emitWithAck('join', { room: 'route:T3' });
    expect(ack).toEqual({ ok: true });
    const bad = await s.emitWithAck('join', { room: 'everything' });
    expect(bad.ok).toBe(false);

    const got: VehicleState[] = [];
    s.on('vehicles', (b: VehicleState[]) => got.push(...b));
    await device.publishAsync(topics.position('trk-rt1'), JSON.stringify({ ts: Date.now(), lat: 48.53, lon: 32.26 }), { qos: 1 });
    const { secret } = (await (await t.api('/api/v1/devices/trk-rt2', { method: 'PATCH', json: { rotateSecret: true } })).json()) as { secret: string };
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${t.mqttPort}`, { username: 'trk-rt2', password: secret });
    await c.publishAsync(topics.position('trk-rt2'), JSON.stringify({ ts: Date.now(), lat: 48.54, lon: 32.27 }), { qos: 1 });
    await c.endAsync();
    await eventually(async () => got.find((v) => v.vehicleId === 'TB-402' && v.lat === 48.54));
    expect(got.filter((v) => v.routeId !== 'T3')).toEqual([]);
  });
});
