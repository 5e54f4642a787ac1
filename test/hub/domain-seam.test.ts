import mqtt from 'mqtt';
import { io, type Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics, type Device, type DeviceMessage } from '../../services/contracts/index.ts';
import { DOMAINS } from '../../services/hub/domains.ts';
import type { Domain, DomainContext } from '../../services/platform/domain-module.ts';
import { ADMIN_TOKEN, eventually, startTestHub, type TestHub } from '../support/hub.ts';

/**
 * The seam: a domain the hub has never heard of plugs in through `HubOptions.domains` and gets
 * its migration, its routes, its Socket.IO namespace, its health line, every accepted message
 * and the removal of a device — with no change to the hub's infrastructure.
 */
describe('a domain module plugs into the hub through the seam', () => {
  let t: TestHub;
  let ctx: DomainContext | undefined;
  const seen: { channel: DeviceMessage['channel']; deviceId: string }[] = [];
  const removed: string[] = [];
  const sockets: Socket[] = [];

  const parking: Domain = {
    name: 'parking',
    migrations: [{ id: 'parking:1', sql: 'CREATE TABLE parking_bays (id TEXT PRIMARY KEY, free INTEGER NOT NULL)' }],
    create(context) {
      ctx = context;
      // The migration ran before `create`: statements may be prepared at once.
      const insert = context.db.prepare('INSERT OR REPLACE INTO parking_bays (id, free) VALUES (?, ?)');
      let changed: { bay: string; free: number }[] = [];
      return {
        name: 'parking',
        onAccepted(message, device) {
          seen.push({ channel: message.channel, deviceId: device.id });
          if (message.channel === 'energy-reading') {
            insert.run(device.id, message.payload.value);
            changed.push({ bay: device.id, free: message.payload.value });
          }
        },
        onDeviceRemoved: (device: Device) => removed.push(device.id),
        health: () => ({ parking: { status: 'degraded', detail: 'two bays unreachable' } }),
        routes: async (app) => {
          app.get('/api/v1/parking/bays', { preHandler: context.auth.requireRole('energy') }, async () => context.db.prepare('SELECT id, free FROM parking_bays ORDER BY id').all());
        },
        realtime: [{
          namespace: '/parking', roles: ['energy'], roomPrefixes: ['zone'],
          snapshot: () => [{ bay: 'snapshot' }],
          tick: () => {
            const items = changed;
            changed = [];
            return [{ event: 'bays', items, roomsOf: () => ['zone:centre'] }];
          },
        }],
      };
    },
  };

  beforeAll(async () => {
    t = await startTestHub({ CITY_TZ: 'Europe/Kyiv', CITY_LAT: '48.5', CITY_LON: '32.3' }, { domains: [...DOMAINS, parking] });
  });
  afterAll(async () => {
    sockets.forEach((s) => s.close());
    await t?.stop();
  });

  it('hands the domain its context: city, clock, registry reader, store', () => {
    expect(ctx?.city).toEqual({ tz: 'Europe/Kyiv', lat: 48.5, lon: 32.3 });
    expect(typeof ctx?.now()).toBe('number');
    expect(ctx?.store.kind).toBe('sqlite');
  });

  it('serves its routes behind the roles it names, and reports its health', async () => {
    expect((await t.api('/api/v1/parking/bays', { token: null })).status).toBe(401);
    expect((await t.api('/api/v1/parking/bays')).status).toBe(200);
    const health = (await (await t.api('/api/v1/health', { token: null })).json()) as { status: string; components: Record<string, { status: string; detail?: string }> };
    expect(health.components.parking).toEqual({ status: 'degraded', detail: 'two bays unreachable' });
    expect(health.status).toBe('degraded');
  });

  it('sees every accepted message, pushes on its own namespace and rooms, and hears of removed devices', async () => {
    const { secret } = await t.register({ id: 'bay-7', kind: 'energy-meter', protocol: 'mqtt', buildingId: 'garage' });
    const socket = io(`${t.httpUrl}/parking`, { auth: { token: ADMIN_TOKEN }, transports: ['websocket'], reconnection: false });
    sockets.push(socket);
    const snapshot = await new Promise<unknown>((resolve) => socket.on('snapshot', resolve));
    expect(snapshot).toEqual([{ bay: 'snapshot' }]);
    const refused = await socket.emitWithAck('join', { room: 'route:1' });
    expect(refused).toMatchObject({ ok: false });
    expect(await socket.emitWithAck('join', { room: 'zone:centre' })).toEqual({ ok: true });
    const pushed = new Promise<unknown>((resolve) => socket.on('bays', resolve));

    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${t.mqttPort}`, { username: 'bay-7', password: secret, reconnectPeriod: 0 });
    await device.publishAsync(topics.energyReading('bay-7'), JSON.stringify({ ts: Date.now(), value: 3, unit: 'kWh' }), { qos: 1 });
    await device.endAsync();

    expect(seen).toContainEqual({ channel: 'energy-reading', deviceId: 'bay-7' });
    expect(await pushed).toEqual([{ bay: 'bay-7', free: 3 }]);
    expect(await (await t.api('/api/v1/parking/bays')).json()).toEqual([{ id: 'bay-7', free: 3 }]);
    // The built-in energy domain saw the same message.
    await eventually(async () => ((await (await t.api('/api/v1/energy/meters')).json()) as unknown[]).length === 1, 5000, 'the meter in live state');

    expect((await t.api('/api/v1/devices/bay-7', { method: 'DELETE' })).status).toBe(204);
    expect(removed).toEqual(['bay-7']);
  });
});
