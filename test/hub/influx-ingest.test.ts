import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../services/contracts/index.ts';
import { eventually, startTestHub, type TestHub } from '../support/hub.ts';
import { startInfluxd, type RunningInfluxd } from '../support/influxd.ts';

/** The hub on a real influxd: the database is created, positions land there, the track reads them back. */
describe('hub on InfluxDB', () => {
  let influx: RunningInfluxd;
  let t: TestHub;

  beforeAll(async () => {
    influx = await startInfluxd();
    t = await startTestHub({ INFLUX_URL: influx.url, INFLUX_DB: 'hub_e2e' });
  });
  afterAll(async () => {
    await t?.stop();
    await influx?.stop();
  });

  it('stores positions (buffered and out of order included) and serves them as the track, in time order', async () => {
    const { secret } = await t.register({ id: 'trk-ix', kind: 'tracker', protocol: 'mqtt', imei: '356307042441900', vehicleId: 'TB-900', routeId: 'T9' });
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${t.mqttPort}`, { username: 'trk-ix', password: secret });
    const now = Date.now();
    const sent = [now - 60_000, now - 120_000, now, now - 90 * 86_400_000 /* a black-box record from three months ago */];
    for (const [i, ts] of sent.entries()) {
      await c.publishAsync(topics.position('trk-ix'), JSON.stringify({ ts, lat: 48.5 + i / 100, lon: 32.26, speedKmh: 20 + i }), { qos: 1 });
    }
    await c.endAsync();

    const from = new Date(now - 100 * 86_400_000).toISOString();
    const track = await eventually(async () => {
      const res = (await (await t.api(`/api/v1/transit/vehicles/TB-900/track?from=${from}`)).json()) as { ts: string; lat: number; speedKmh: number }[];
      return res.length === 4 ? res : undefined;
    });
    expect(track.map((p) => Date.parse(p.ts))).toEqual([...sent].sort((a, b) => a - b));
    expect(track.map((p) => p.lat)).toEqual([48.53, 48.51, 48.5, 48.52]);

    // Live state shows the newest record, not the last one received.
    const live = (await (await t.api('/api/v1/transit/vehicles')).json()) as { vehicleId: string; lat: number; ts: string }[];
    expect(live.find((v) => v.vehicleId === 'TB-900')).toMatchObject({ lat: 48.52, ts: new Date(now).toISOString() });

    const health = (await (await t.api('/api/v1/health', { token: null })).json()) as { components: { store: { status: string; detail: string } } };
    expect(health.components.store).toEqual({ status: 'ok', detail: 'influxdb' });
  });
});
