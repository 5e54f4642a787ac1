import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestHub, type TestHub } from '../support/hub.ts';
import { countPositions, startInfluxd, type RunningInfluxd } from '../support/influxd.ts';
import { AckedPublisher } from './publisher.ts';

interface Health { status: string; components: Record<string, { status: string; detail?: string }> }

const MIB = 1024 * 1024;

/**
 * A long store outage must not fill the disk the registry shares: past SPOOL_MAX_BYTES the spool
 * refuses (nothing more is acknowledged), health says why, the registry stays writable, and
 * everything acknowledged reaches the store once it is back.
 */
describe('spool bounded by SPOOL_MAX_BYTES', () => {
  let influx: RunningInfluxd;
  let t: TestHub;
  beforeAll(async () => {
    influx = await startInfluxd();
    t = await startTestHub({ INFLUX_URL: influx.url, INFLUX_DB: 'bounded', SPOOL_MAX_BYTES: String(MIB) });
  });
  afterAll(async () => {
    await t?.stop();
    await influx?.stop();
  });

  const health = async () => {
    const res = await t.api('/api/v1/health', { token: null });
    return { code: res.status, body: (await res.json()) as Health };
  };

  it('slows, then refuses at the limit, says why, keeps the registry writable and loses nothing acknowledged', async () => {
    const devices = [];
    for (let i = 0; i < 4; i++) devices.push(await t.register({ id: `trk-sl${i}`, kind: 'tracker', protocol: 'mqtt', imei: `35630704244${String(6000 + i).padStart(4, '0')}`, vehicleId: `SL-${i}` }));
    influx.kill();
    // 20,000 positions of ~120 bytes do not fit in 1 MiB.
    const publisher = new AckedPublisher(devices);
    await publisher.run(t.mqttPort, 5000, Date.now() - 3600_000, { inFlight: 10 });
    await publisher.close();
    const acked = publisher.ackedCount;
    expect(acked).toBeGreaterThan(1000);
    expect(acked).toBeLessThan(20_000);

    const { code, body } = await health();
    expect(code).toBe(503);
    expect(body.components.spool).toMatchObject({ status: 'down', detail: expect.stringMatching(/^full \(SPOOL_MAX_BYTES\), nothing is acknowledged until the store takes the backlog: spool backlog of \d+ bytes has reached the limit of 1048576 bytes/) });
    expect(body.components.ingest).toMatchObject({ status: 'degraded', detail: expect.stringMatching(/spool backlog .* MiB is over 0\.8 MiB \(80 % of the spool's limit\)/) });
    const metrics = await (await t.api('/metrics', { token: null })).text();
    expect(Number(/^mistohub_spool_backlog_bytes (\d+)/m.exec(metrics)?.[1])).toBeLessThanOrEqual(MIB);

    // The registry (its own SQLite file) still takes writes while the spool refuses.
    const added = await t.register({ id: 'trk-sl-late', kind: 'tracker', protocol: 'mqtt', imei: '356307042446099', vehicleId: 'SL-9' });
    expect(added.id).toBe('trk-sl-late');

    await influx.restart();
    await eventually(async () => (await health()).body.status === 'ok', 60_000, 'health back to ok once the store took the backlog');
    // Every acknowledged message, once. A few more may be stored: kept in the spool, but the
    // connection was closed (on the refusal) before their PUBACK went out; at most those in flight.
    const stored = await countPositions(influx.url, 'bounded');
    expect(stored).toBeGreaterThanOrEqual(acked);
    expect(stored).toBeLessThanOrEqual(acked + devices.length * 10);

    // Intake works again.
    const again = new AckedPublisher(devices.slice(0, 1));
    await again.run(t.mqttPort, 100, Date.now() - 1800_000);
    await again.close();
    expect(again.ackedCount).toBe(100);
  }, 120_000);
});
