import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../services/contracts/index.ts';
import { eventually, startTestHub, type TestHub } from '../support/hub.ts';

/** The energy domain in the real hub: readings over MQTT (QoS 1) become consumption by local day over REST. */
describe('energy in the hub', () => {
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('a meter registered with its resource, unit and multiplier reports over MQTT; its building answers per local day', async () => {
    expect((await t.api('/api/v1/energy/buildings/kg-12', { method: 'PUT', json: { name: 'Дитсадок № 12', type: 'kindergarten', areaM2: 900 } })).status).toBe(201);
    const { secret } = await t.register({ id: 'HM-12', kind: 'energy-meter', protocol: 'mqtt', buildingId: 'kg-12', resource: 'heat', unit: 'GJ', multiplier: 10 });
    const device = await mqtt.connectAsync(`mqtt://127.0.0.1:${t.mqttPort}`, { username: 'HM-12', password: secret, reconnectPeriod: 0 });
    try {
      // 25 October 2026, the 25-hour day: a reading every hour from local midnight to local midnight.
      const start = Date.parse('2026-10-24T21:00:00Z');
      for (let i = 0; i <= 25; i++) {
        await device.publishAsync(topics.energyReading('HM-12'), JSON.stringify({ ts: start + i * 3_600_000, value: 1.5 + i * 0.01, unit: 'Gcal' }), { qos: 1 });
      }
    } finally {
      await device.endAsync();
    }
    const url = '/api/v1/energy/buildings/kg-12/consumption?from=2026-10-25&to=2026-10-26&interval=day';
    // 25 hours × 0.01 Gcal × 10, in GJ. Rolled up on a short timer after the readings are kept.
    const expected = 25 * 0.1 * 4.1868;
    const [day] = await eventually(async () => {
      const body = (await (await t.api(url)).json()) as { value: number | null }[];
      return Math.abs((body[0]?.value ?? 0) - expected) < 1e-6 ? body : null;
    }, 10_000, 'the whole day rolled up');
    expect(day).toMatchObject({ start: '2026-10-24T21:00:00.000Z', end: '2026-10-25T22:00:00.000Z', unit: 'GJ', resource: 'heat', estimated: false });
    const building = (await (await t.api('/api/v1/energy/buildings/kg-12')).json()) as { meterIds: string[] };
    expect(building.meterIds).toEqual(['HM-12']);
    // A weather station publishes on its own topic; the temperatures are kept before the PUBACK.
    const ws = await t.register({ id: 'WS-1', kind: 'weather-station', protocol: 'mqtt' });
    const station = await mqtt.connectAsync(`mqtt://127.0.0.1:${t.mqttPort}`, { username: 'WS-1', password: ws.secret, reconnectPeriod: 0 });
    try {
      const start = Date.parse('2026-10-24T21:30:00Z');
      for (let i = 0; i < 25; i++) await station.publishAsync(topics.weather('WS-1'), JSON.stringify({ ts: start + i * 3_600_000, temperatureC: 6 }), { qos: 1 });
    } finally {
      await station.endAsync();
    }
    const baseline = (await (await t.api('/api/v1/energy/buildings/kg-12/baseline?from=2026-10-25&to=2026-10-26')).json()) as { period: { hdd: number; daysWithTemperature: number } };
    expect(baseline.period).toMatchObject({ hdd: 12, daysWithTemperature: 1 });
    // The live view is still there.
    const live = (await (await t.api('/api/v1/energy/meters?buildingId=kg-12')).json()) as { meterId: string }[];
    expect(live.map((m) => m.meterId)).toEqual(['HM-12']);
  });
});
