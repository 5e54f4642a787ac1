import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestHub, type TestHub } from '../support/hub.ts';
import { countPositions, startInfluxd, type RunningInfluxd } from '../support/influxd.ts';
import { AckedPublisher } from './publisher.ts';

async function backlog(t: TestHub): Promise<number> {
  const text = await (await t.api('/metrics', { token: null })).text();
  return Number(/^mistohub_spool_backlog_records (\d+)/m.exec(text)?.[1] ?? NaN);
}

/**
 * The writer's retry backoff is capped at 30 s in production; here at 1 s, so an outage of
 * 15 s passes through every state a long one does (backoff doubling up to its cap, then retries
 * at the cap, health degraded with the failing time, the drain after the restart) in an eighth
 * of the time. It ran 120 s against the 30 s cap before: the same states, waited out.
 */
const RETRY_CAP_MS = 1_000;
/** influxd down this long: many times the cap, and at least three retries at it */
const OUTAGE_MS = 15_000;

/** influxd killed while 10,000 QoS 1 messages are published and restarted minutes later: all of them end up in InfluxDB, once. */
describe('InfluxDB outage during ingest', () => {
  let influx: RunningInfluxd;
  let t: TestHub;
  beforeAll(async () => {
    influx = await startInfluxd();
    t = await startTestHub({ INFLUX_URL: influx.url, INFLUX_DB: 'outage' }, { storeRetryMaxMs: RETRY_CAP_MS });
  });
  afterAll(async () => {
    await t?.stop();
    await influx?.stop();
  });

  it('keeps every acknowledged message through SIGKILL of influxd and its restart after the writer\'s retries reached their cap', async () => {
    const devices = [];
    for (let i = 0; i < 10; i++) {
      devices.push(await t.register({ id: `trk-out${i}`, kind: 'tracker', protocol: 'mqtt', imei: `35630704244${String(2000 + i).padStart(4, '0')}`, vehicleId: `OUT-${i}` }));
    }
    const publisher = new AckedPublisher(devices);
    const run = publisher.run(t.mqttPort, 1000, Date.now() - 3600_000);
    await eventually(async () => publisher.ackedCount >= 1500, 30_000, '1,500 acknowledged');
    influx.kill();
    const killedAt = Date.now();
    await run;
    await publisher.close();
    expect(publisher.ackedCount).toBe(10_000);

    // While the store is down the hub says so, and keeps the messages in its spool.
    const health = await eventually(async () => {
      const h = (await (await t.api('/api/v1/health', { token: null })).json()) as { status: string; components: { store: { status: string; detail: string } } };
      return h.components.store.status === 'degraded' ? h : undefined;
    }, 20_000, 'health to report the store');
    expect(health.status).toBe('degraded');
    expect(await backlog(t)).toBeGreaterThan(0);

    // Down many times the backoff's cap: the writer reaches it and keeps trying.
    await new Promise((r) => setTimeout(r, OUTAGE_MS - (Date.now() - killedAt)));
    const during = (await (await t.api('/api/v1/health', { token: null })).json()) as { components: { store: { status: string; detail: string } } };
    expect(during.components.store.status).toBe('degraded');
    const failingS = Number(/failing for (\d+) s/.exec(during.components.store.detail)?.[1]);
    expect(failingS).toBeGreaterThanOrEqual(OUTAGE_MS / 1000 - 5);
    expect(await backlog(t)).toBeGreaterThan(0);
    await influx.restart();
    await eventually(async () => (await backlog(t)) === 0, 60_000, 'the spool to drain');
    // Every message exactly once: the count equals what was acknowledged, no more.
    expect(await countPositions(influx.url, 'outage')).toBe(10_000);
    const after = (await (await t.api('/api/v1/health', { token: null })).json()) as { status: string };
    expect(after.status).toBe('ok');
  }, OUTAGE_MS + 120_000);
});
