/**
 * The dispatch page in a real Chromium against a real hub running the demo city's feed with trips
 * around the clock (so nothing depends on the hour it runs at): a dispatcher opens a vehicle and
 * sees its next stops with ETAs, and acknowledges an operations alert (with the keyboard).
 */
import mqtt from 'mqtt';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics, type OpsAlert, type StopBoard, type TransitStop, type VehicleTrip } from '../../services/contracts/index.ts';
import { launchBrowser } from '../support/browser.ts';
import { writeDemoAroundTheClock } from '../support/gtfs-folder.ts';
import { eventually, startTestHub, type TestHub } from '../support/hub.ts';
import { makeTempDir } from '../support/temp-dir.ts';

describe('dispatch page on the real hub', () => {
  let browser: Browser;
  let t: TestHub;
  let tracker: mqtt.MqttClient;
  const errors: string[] = [];
  const gtfs = makeTempDir('demo-gtfs');

  beforeAll(async () => {
    writeDemoAroundTheClock(gtfs.path);
    [browser, t] = await Promise.all([launchBrowser(), startTestHub({ GTFS_PATH: gtfs.path, CITY_TZ: 'Europe/Kyiv' }, { dashboards: true })]);
    const { secret } = await t.register({ id: 'trk-d1', kind: 'tracker', protocol: 'mqtt', vehicleId: 'BUS-D1', routeId: 'T1' });
    tracker = await mqtt.connectAsync(`mqtt://127.0.0.1:${t.mqttPort}`, { username: 'trk-d1', password: secret });
  });
  afterAll(async () => {
    await tracker?.endAsync();
    await browser?.close();
    await t?.stop();
    gtfs.remove();
  });

  it('shows a vehicle\'s next stops with ETAs, and takes an acknowledgement of an alert', async () => {
    // Put BUS-D1 on the next T1 departure from the railway station, standing there.
    const board = (await (await t.api('/api/v1/transit/stops/st-vokzal/arrivals')).json()) as StopBoard;
    const dep = board.arrivals.find((a) => a.routeId === 'T1')!;
    expect(dep).toBeDefined();
    expect((await t.api('/api/v1/transit/vehicles/BUS-D1/assignment', { method: 'PUT', json: { tripId: dep.tripId } })).status).toBe(200);
    const stop = ((await (await t.api('/api/v1/transit/stops')).json()) as TransitStop[]).find((s) => s.stopId === 'st-vokzal')!;
    await tracker.publishAsync(topics.position('trk-d1'), JSON.stringify({ ts: Date.now(), lat: stop.lat, lon: stop.lon, speedKmh: 0 }), { qos: 1 });
    const trip = await eventually(async () => {
      const res = await t.api('/api/v1/transit/vehicles/BUS-D1/trip');
      const v = res.ok ? ((await res.json()) as VehicleTrip) : undefined;
      return v && v.nextStops.length > 1 && v;
    });

    const tok = (await (await t.api('/api/v1/tokens', { method: 'POST', json: { name: 'dispatch desk', roles: ['dispatcher'] } })).json()) as { token: string };
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'uk-UA', timezoneId: 'Europe/Kyiv' });
    await context.addInitScript((token) => sessionStorage.setItem('mistohub.token', token), tok.token);
    const page = await context.newPage();
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });
    await page.goto(`${t.httpUrl}/transit/`);

    // The vehicle: its row, then the panel with its trip and next stops.
    await page.locator('#vehicles tr[data-id="BUS-D1"]').click();
    await page.waitForSelector('#next-stops li[data-stop]', { timeout: 10_000 });
    expect(await page.locator('#vehicle-trip').innerText()).toBe(trip.tripId);
    const first = await page.locator('#next-stops li[data-stop]').first().innerText();
    expect(first).toMatch(/^\d\d:\d\d — /);
    expect(first).toContain(trip.nextStops[0]!.name);
    expect(await page.locator('#vehicle-heading').innerText()).toBe('Транспортний засіб');

    // An alert (trips of the timetable under way with no vehicle), acknowledged with the keyboard.
    const button = page.locator('#ops-alerts li[data-state="open"] button').first();
    await button.waitFor({ timeout: 20_000 });
    const id = Number(await page.locator('#ops-alerts li[data-state="open"]').first().getAttribute('data-id'));
    await button.focus();
    await page.keyboard.press('Enter');
    await page.waitForSelector(`#ops-alerts li[data-id="${id}"][data-state="acknowledged"]`, { timeout: 10_000 });
    expect(await page.locator(`#ops-alerts li[data-id="${id}"]`).innerText()).toContain('підтверджено (token:dispatch desk)');
    const acked = (await (await t.api('/api/v1/transit/ops-alerts?state=acknowledged')).json()) as OpsAlert[];
    expect(acked.map((a) => a.id)).toEqual([id]);
    await page.screenshot({ path: '/tmp/mistohub-transit-ops.png' });
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);
});
