import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { topics } from '../../services/contracts/index.ts';
import { ADMIN_TOKEN, eventually, startTestHub, type TestHub } from '../support/hub.ts';
import { makeTempDir } from '../support/temp-dir.ts';

/**
 * What a hub restart keeps beyond history: live state seeded from the store's latest points
 * (issue 14, item 13), and command acknowledgements kept before their PUBACK (item 3).
 */
describe('a restarted hub', () => {
  const dir = makeTempDir('restart');
  let t: TestHub | undefined;
  afterAll(async () => {
    await t?.stop();
    dir.remove();
  });

  it('shows the vehicles, cabinets and meters it knew, and keeps every acknowledged command ack', async () => {
    t = await startTestHub({}, { dataDir: dir.path });
    const tracker = await t.register({ id: 'trk-rs', kind: 'tracker', protocol: 'mqtt', imei: '356307042441999', vehicleId: 'TB-77', routeId: 'T7' });
    const cabinet = await t.register({ id: 'cab-rs', kind: 'lighting-controller', protocol: 'mqtt', groupId: 'north' });
    const meter = await t.register({ id: 'mtr-rs', kind: 'energy-meter', protocol: 'mqtt', buildingId: 'school-1' });
    const ts = Date.now() - 60_000;
    const publish = async (id: string, secret: string, topic: string, body: object) => {
      const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${t!.mqttPort}`, { username: id, password: secret, reconnectPeriod: 0 });
      await c.publishAsync(topic, JSON.stringify(body), { qos: 1 });
      await c.endAsync();
    };
    await publish(tracker.id, tracker.secret, topics.position('trk-rs'), { ts, lat: 48.51, lon: 32.26, speedKmh: 31 });
    await publish(cabinet.id, cabinet.secret, topics.lightingState('cab-rs'), { ts, level: 60, on: true, powerW: 900 });
    await publish(meter.id, meter.secret, topics.energyReading('mtr-rs'), { ts, value: 1234.5, unit: 'kWh' });
    // The PUBACK of an ack comes only once it is kept: stopping the hub right after must lose nothing.
    await publish(cabinet.id, cabinet.secret, topics.lightingCommandAck('cab-rs'), { cmdId: 'c-1', ts, status: 'rejected', reason: 'door open' });
    // History reaches the store through the spool: wait until the store has confirmed all three
    // points (the backlog gauge is sampled every 250 ms and may still read 0 from before them).
    await eventually(async () => /^mistohub_store_points_written_total 3$/m.test(await (await t!.api('/metrics')).text()), 20_000, 'the three points stored');
    expect(((await (await t.api(`/api/v1/transit/vehicles/TB-77/track?from=${new Date(ts - 1000).toISOString()}`)).json()) as unknown[]).length).toBe(1);
    await t.stop();

    t = await startTestHub({}, { dataDir: dir.path });
    const vehicles = (await (await t.api('/api/v1/transit/vehicles')).json()) as { vehicleId: string; lat: number; speedKmh: number; ts: string; routeId: string }[];
    expect(vehicles).toEqual([expect.objectContaining({ vehicleId: 'TB-77', lat: 48.51, speedKmh: 31, routeId: 'T7', ts: new Date(ts).toISOString() })]);
    const cabinets = (await (await t.api('/api/v1/lighting/controllers')).json()) as { controllerId: string; level: number; on: boolean }[];
    expect(cabinets).toEqual([expect.objectContaining({ controllerId: 'cab-rs', level: 60, on: true, powerW: 900 })]);
    const meters = (await (await t.api('/api/v1/energy/meters')).json()) as { meterId: string; value: number }[];
    expect(meters).toEqual([expect.objectContaining({ meterId: 'mtr-rs', value: 1234.5, unit: 'kWh' })]);
    const acks = (await (await t.api('/api/v1/lighting/command-acks?controllerId=cab-rs', { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as unknown[];
    expect(acks).toEqual([expect.objectContaining({ cmdId: 'c-1', controllerId: 'cab-rs', status: 'rejected', reason: 'door open', ts: new Date(ts).toISOString() })]);
  });
});
