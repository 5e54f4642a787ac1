import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, eventually } from '../support/hub.ts';
import { startHubProcess, type HubProcess } from '../support/hub-process.ts';
import { countPositions, startInfluxd, type RunningInfluxd } from '../support/influxd.ts';
import { makeTempDir } from '../support/temp-dir.ts';
import { AckedPublisher } from './publisher.ts';

interface Health { status: string; components: Record<string, { status: string; detail?: string }> }

/** The spool cannot be written (the disk is full): the hub stops acknowledging, says why, and keeps what it acknowledged. */
describe('spool disk full', () => {
  let influx: RunningInfluxd;
  let hub: HubProcess;
  const dir = makeTempDir('diskfull');
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${hub.httpUrl}${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', ...init.headers } });

  beforeAll(async () => {
    influx = await startInfluxd();
    hub = await startHubProcess({ HUB_DATA_DIR: dir.path, INFLUX_URL: influx.url, INFLUX_DB: 'diskfull' }, { fileSizeLimitKiB: 3072 });
  });
  afterAll(async () => {
    await hub?.stop();
    await influx?.stop();
    dir.remove();
  });

  it('stops acknowledging, reports the spool down, and every acknowledged message is stored', async () => {
    const devices = [];
    for (let i = 0; i < 4; i++) {
      const res = await api('/api/v1/devices', { method: 'POST', body: JSON.stringify({ id: `trk-df${i}`, kind: 'tracker', protocol: 'mqtt', imei: `35630704244${String(5000 + i).padStart(4, '0')}`, vehicleId: `DF-${i}` }) });
      devices.push({ id: `trk-df${i}`, secret: ((await res.json()) as { secret: string }).secret });
    }
    const publisher = new AckedPublisher(devices);
    // 40,000 positions do not fit in a 3 MiB segment.
    await publisher.run(hub.mqttPort, 10_000, Date.now() - 3600_000);
    await publisher.close();
    const first = publisher.ackedCount;
    expect(first).toBeGreaterThan(1000);
    expect(first).toBeLessThan(40_000);

    const res = await fetch(`${hub.httpUrl}/api/v1/health`);
    expect(res.status).toBe(503);
    const health = (await res.json()) as Health;
    expect(health.status).toBe('down');
    expect(health.components.spool).toMatchObject({ status: 'down' });
    expect(health.components.spool!.detail).toMatch(/not writable, nothing is acknowledged: .*EFBIG/);

    // Devices that try again are refused once more: their connections close without PUBACK for
    // what does not fit. (A write that still fits under the limit is kept and acknowledged.)
    const retry = new AckedPublisher(devices);
    await retry.run(hub.mqttPort, 2000, Date.now() - 1800_000);
    await retry.close();
    expect(retry.ackedCount).toBeLessThan(8000);
    const acked = first + retry.ackedCount;

    // What was acknowledged reaches the store, once.
    const stored = await eventually(async () => {
      const n = await countPositions(influx.url, 'diskfull');
      return n === acked ? n : undefined;
    }, 30_000, `${acked} points in InfluxDB`);
    expect(stored).toBe(acked);
    expect(hub.child.exitCode).toBeNull(); // still running
  }, 120_000);
});
