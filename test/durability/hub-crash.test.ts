import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, eventually } from '../support/hub.ts';
import { startHubProcess, type HubProcess } from '../support/hub-process.ts';
import { startInfluxd, type RunningInfluxd } from '../support/influxd.ts';
import { makeTempDir } from '../support/temp-dir.ts';
import { AckedPublisher } from './publisher.ts';

const api = (hub: HubProcess, path: string, init: RequestInit = {}) =>
  fetch(`${hub.httpUrl}${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', ...init.headers } });

/**
 * The hub SIGKILLed in the middle of a publish run and started again on the same data folder:
 * every acknowledged message is in the store, and none is there twice.
 */
async function crashAndRecover(env: Record<string, string>): Promise<void> {
  const dir = makeTempDir('crash');
  let hub = await startHubProcess({ ...env, HUB_DATA_DIR: dir.path });
  try {
    const devices = [];
    for (let i = 0; i < 8; i++) {
      const res = await api(hub, '/api/v1/devices', {
        method: 'POST',
        body: JSON.stringify({ id: `trk-c${i}`, kind: 'tracker', protocol: 'mqtt', imei: `35630704244${String(3000 + i).padStart(4, '0')}`, vehicleId: `CR-${i}` }),
      });
      const body = (await res.json()) as { secret: string };
      devices.push({ id: `trk-c${i}`, secret: body.secret });
    }
    const baseTs = Date.now() - 7200_000;
    const publisher = new AckedPublisher(devices);
    const run = publisher.run(hub.mqttPort, 20_000, baseTs);
    await eventually(async () => publisher.ackedCount >= 4000, 60_000, '4,000 acknowledged');
    await hub.kill();
    await run;
    await publisher.close();
    const acked = publisher.ackedCount;
    expect(acked).toBeGreaterThanOrEqual(4000);
    expect(acked).toBeLessThan(160_000); // the crash really cut the run short

    hub = await startHubProcess({ ...env, HUB_DATA_DIR: dir.path });
    await eventually(async () => {
      const text = await (await api(hub, '/metrics')).text();
      return /^mistohub_spool_backlog_records 0$/m.test(text);
    }, 60_000, 'the spool to drain after restart');

    for (const d of devices) {
      const vehicle = `CR-${d.id.slice(5)}`;
      const from = new Date(baseTs - 1000).toISOString();
      const to = new Date(baseTs + 30_000).toISOString();
      const track = (await (await api(hub, `/api/v1/transit/vehicles/${vehicle}/track?from=${from}&to=${to}&limit=100000`)).json()) as { ts: string }[];
      const stored = track.map((p) => Date.parse(p.ts));
      expect(new Set(stored).size, `${vehicle}: no point twice`).toBe(stored.length);
      const missing = [...publisher.acked.get(d.id)!].filter((ts) => !stored.includes(ts));
      expect(missing, `${vehicle}: acknowledged but not stored`).toEqual([]);
    }
  } finally {
    await hub.stop();
    dir.remove();
  }
}

describe('hub crash (SIGKILL) during ingest', () => {
  let influx: RunningInfluxd;
  beforeAll(async () => {
    influx = await startInfluxd();
  });
  afterAll(() => influx?.stop());

  it('loses and duplicates nothing on the embedded store', () => crashAndRecover({}), 180_000);
  it('loses and duplicates nothing on InfluxDB', () => crashAndRecover({ INFLUX_URL: influx.url, INFLUX_DB: 'crash' }), 180_000);
});
