import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestHub, type TestHub } from '../support/hub.ts';
import { countPositions, startInfluxd, type RunningInfluxd } from '../support/influxd.ts';
import { AckedPublisher } from './publisher.ts';

interface Health { status: string; components: Record<string, { status: string; detail?: string }> }

/**
 * Overload: the store is gone and devices keep sending far more than it can take. The hub
 * slows intake (health: degraded, with the reason) instead of falling over, and every message
 * it acknowledged reaches the store once the store is back.
 */
describe('backpressure under overload', () => {
  let influx: RunningInfluxd;
  let t: TestHub;
  beforeAll(async () => {
    influx = await startInfluxd();
    // A small backlog limit stands in for a spool that has filled up over hours.
    t = await startTestHub({ INFLUX_URL: influx.url, INFLUX_DB: 'overload' }, { backpressure: { maxBacklogRecords: 300, maxLagMs: 10_000, maxInFlight: 1_000_000, maxDelayMs: 200, holdMs: 3000 } });
  });
  afterAll(async () => {
    await t?.stop();
    await influx?.stop();
  });

  it('throttles, says so in health and metrics, and loses nothing acknowledged', async () => {
    const devices = [];
    for (let i = 0; i < 6; i++) devices.push(await t.register({ id: `trk-bp${i}`, kind: 'tracker', protocol: 'mqtt', imei: `35630704244${String(4000 + i).padStart(4, '0')}`, vehicleId: `BP-${i}` }));
    influx.kill();
    const publisher = new AckedPublisher(devices);
    const run = publisher.run(t.mqttPort, 500, Date.now() - 600_000, { inFlight: 10 });

    const throttled = await eventually(async () => {
      const h = (await (await t.api('/api/v1/health', { token: null })).json()) as Health;
      return h.components.ingest?.status === 'degraded' ? h : undefined;
    }, 30_000, 'health to report throttling');
    expect(throttled.status).toBe('degraded');
    expect(throttled.components.ingest!.detail).toMatch(/intake slowed down: spool backlog \d+ records is over 300/);
    const metrics = await (await t.api('/metrics', { token: null })).text();
    expect(metrics).toMatch(/^mistohub_ingest_throttled 1$/m);
    expect(Number(/^mistohub_ingest_throttle_waits_total (\d+)/m.exec(metrics)?.[1])).toBeGreaterThan(0);

    await run; // slowed down, not refused: every message is acknowledged in the end
    await publisher.close();
    expect(publisher.ackedCount).toBe(3000);

    await influx.restart();
    await eventually(async () => {
      const h = (await (await t.api('/api/v1/health', { token: null })).json()) as Health;
      return h.status === 'ok';
    }, 60_000, 'health back to ok');
    expect(await countPositions(influx.url, 'overload')).toBe(3000);
  }, 120_000);
});
