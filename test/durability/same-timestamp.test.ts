import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../services/contracts/index.ts';
import { eventually, startTestHub, type TestHub } from '../support/hub.ts';
import { startInfluxd, type RunningInfluxd } from '../support/influxd.ts';

/**
 * Two different messages with one timestamp from one tracker (trackers report with one-second
 * resolution), published over real MQTT into each store. The first one received is the point;
 * the later, different one is set aside as a dead letter `same-timestamp`; a byte-identical
 * resend stays a silent duplicate. Thousands of instants, so the writer has several batches in
 * flight at once: before the rule, InfluxDB and SQLite each merged the later fields in.
 */
const INSTANTS = 3000;
const BASE = Date.UTC(2026, 9, 25, 0, 0, 0);

async function metric(t: TestHub, name: string): Promise<number> {
  const text = await (await t.api('/metrics', { token: null })).text();
  const line = text.split('\n').find((l) => l.startsWith(name));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

const payload = (i: number, later: boolean) => JSON.stringify({ ts: BASE + i * 1000, lat: 48.5 + i / 1e5, lon: later ? 32.3 : 32.26, speedKmh: later ? 99 : 10 });

async function publishAll(client: mqtt.MqttClient, deviceId: string, messages: string[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < messages.length) await client.publishAsync(topics.position(deviceId), messages[next++]!, { qos: 1 });
  };
  await Promise.all(Array.from({ length: 50 }, worker));
}

describe('two different messages with one timestamp', () => {
  let influx: RunningInfluxd;
  beforeAll(async () => {
    influx = await startInfluxd();
  });
  afterAll(() => influx?.stop());

  for (const kind of ['sqlite', 'influxdb'] as const) {
    it(`${kind}: keeps the first record of each instant, sets the later different one aside and counts it`, async () => {
      const t = await startTestHub(kind === 'influxdb' ? { INFLUX_URL: influx.url, INFLUX_DB: 'same_ts' } : {});
      try {
        const device = await t.register({ id: 'trk-st', kind: 'tracker', protocol: 'mqtt', imei: '356307042449001', vehicleId: 'ST-1' });
        const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${t.mqttPort}`, { username: device.id, password: device.secret, clientId: device.id });
        const range = Array.from({ length: INSTANTS }, (_, i) => i);
        // Every first record acknowledged (kept) before any second one is sent: which is first is not up to chance.
        await publishAll(client, device.id, range.map((i) => payload(i, false)));
        await publishAll(client, device.id, [...range.map((i) => payload(i, true)), ...range.slice(0, 200).map((i) => payload(i, false))]);
        await client.endAsync();

        await eventually(async () => (await metric(t, 'mistohub_messages_rejected_total{source="history-writer",reason="same-timestamp"}')) === INSTANTS && (await metric(t, 'mistohub_spool_backlog_records')) === 0, 60_000, 'every second record to be set aside and the spool to drain');
        const from = new Date(BASE - 1000).toISOString();
        const to = new Date(BASE + INSTANTS * 1000).toISOString();
        const track = (await (await t.api(`/api/v1/transit/vehicles/ST-1/track?from=${from}&to=${to}&limit=100000`)).json()) as { ts: string; lon: number; speedKmh: number }[];
        expect(track).toHaveLength(INSTANTS);
        expect(track.filter((p) => p.speedKmh !== 10 || p.lon !== 32.26)).toEqual([]);

        const letters = (await (await t.api('/api/v1/deadletter?reason=same-timestamp&limit=1000')).json()) as { source: string; deviceId: string; detail: string; payloadPreview: string }[];
        expect(letters).toHaveLength(1000);
        expect(letters.every((l) => l.source === 'history-writer' && l.deviceId === 'trk-st' && /came first/.test(l.detail) && l.payloadPreview.includes('"speedKmh":99'))).toBe(true);
        // The byte-identical resends are silent duplicates: nothing else was refused.
        expect(await metric(t, 'mistohub_messages_rejected_total{source="mqtt"')).toBe(0);
      } finally {
        await t.stop();
      }
    }, 120_000);
  }
});
