import mqtt from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../services/contracts/index.ts';
import { launchBrowser } from '../support/browser.ts';
import { DEMO_GTFS_DIR } from '../../simulators/city/demo-gtfs.ts';
import { ADMIN_TOKEN, startTestHub, type TestHub } from '../support/hub.ts';

/** The dashboards served by the real hub, fed by a device over real MQTT, in a real Chromium. */
describe('dashboards on the real hub', () => {
  let browser: Browser;
  let t: TestHub;
  let tracker: mqtt.MqttClient;
  let cabinet: mqtt.MqttClient;
  let meter: mqtt.MqttClient;
  const errors: string[] = [];

  async function open(token: string | null): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'uk-UA', timezoneId: 'Europe/Kyiv' });
    if (token) await context.addInitScript((tok) => sessionStorage.setItem('mistohub.token', tok), token);
    const page = await context.newPage();
    page.on('pageerror', (err) => errors.push(err.message));
    // CSP violations of the hub's real security headers show up as console errors.
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });
    return page;
  }
  const device = async (id: string, body: object) => {
    const { secret } = await t.register({ id, protocol: 'mqtt', ...body } as never);
    return mqtt.connectAsync(`mqtt://127.0.0.1:${t.mqttPort}`, { username: id, password: secret });
  };

  beforeAll(async () => {
    [browser, t] = await Promise.all([launchBrowser(), startTestHub({ GTFS_PATH: DEMO_GTFS_DIR }, { dashboards: true })]);
    await t.api('/api/v1/users', { method: 'POST', json: { username: 'dispatcher1', password: 'long enough password', roles: ['dispatcher'] } });
    tracker = await device('trk-ui', { kind: 'tracker', imei: '356307042449001', vehicleId: 'TB-777', routeId: 'T7' });
    cabinet = await device('cab-ui', { kind: 'lighting-controller', name: 'Шафа 12', groupId: 'centre', lat: 48.51, lon: 32.26 });
    meter = await device('mtr-ui', { kind: 'energy-meter', name: 'Школа 5', buildingId: 'school-05' });
    await tracker.publishAsync(topics.position('trk-ui'), JSON.stringify({ ts: Date.now(), lat: 48.51, lon: 32.26, speedKmh: 21 }), { qos: 1 });
    await cabinet.publishAsync(topics.lightingState('cab-ui'), JSON.stringify({ ts: Date.now(), level: 70, on: true, powerW: 4321, voltageV: 229 }), { qos: 1 });
    await meter.publishAsync(topics.energyReading('mtr-ui'), JSON.stringify({ ts: Date.now(), value: 12345.6, unit: 'kWh', powerW: 5400 }), { qos: 1 });
  });
  afterAll(async () => {
    await Promise.all([tracker, cabinet, meter].map((c) => c?.endAsync()));
    await browser?.close();
    await t?.stop();
  });

  it('a dispatcher signs in, sees the vehicle, and sees it change when the tracker reports', async () => {
    const page = await open(null);
    const redirect = await fetch(`${t.httpUrl}/transit`, { redirect: 'manual' });
    expect([redirect.status, redirect.headers.get('location')]).toEqual([301, '/transit/']);
    await page.goto(`${t.httpUrl}/?next=%2Ftransit%2F`);
    await page.fill('#username', 'dispatcher1');
    await page.fill('#password', 'long enough password');
    await page.click('#login-submit');
    await page.waitForURL(`${t.httpUrl}/transit/`);
    await page.waitForSelector('#vehicles tr[data-id="TB-777"]', { timeout: 10_000 });
    expect(await page.locator('#vehicles tr[data-id="TB-777"]').innerText()).toContain('21 км/год');

    // The demo feed's network: 10 routes (both directions) and 44 stops, drawn with no tile server.
    await page.waitForFunction(() => document.querySelector<HTMLCanvasElement>('#map')?.dataset.lines === '20', null, { timeout: 10_000 });
    expect(await page.locator('#map').getAttribute('data-stops')).toBe('44');
    expect(await page.locator('#route-legend button').count()).toBe(10);
    expect(await page.locator('#no-feed').isHidden()).toBe(true);
    await page.selectOption('#route-filter', 'T7');
    await page.waitForFunction(() => document.querySelector<HTMLCanvasElement>('#map')?.dataset.lines === '2', null, { timeout: 10_000 });
    expect(await page.locator('#vehicles tr[data-id="TB-777"]').count()).toBe(1);
    await page.screenshot({ path: '/tmp/mistohub-real-transit-T7.png' });
    // Route names in English from the feed's translations.txt.
    expect(await page.locator('#route-filter option[value="T7"]').innerText()).toBe('T7 — Ковалівка — Жовтневе');
    await page.click('#lang-toggle');
    await page.waitForFunction(() => document.querySelector('#route-filter option[value="T7"]')?.textContent === 'T7 — Kovalivka — Zhovtneve', null, { timeout: 10_000 });
    await page.click('#lang-toggle');
    await page.waitForFunction(() => document.documentElement.lang === 'uk');
    await page.selectOption('#route-filter', '');

    await tracker.publishAsync(topics.position('trk-ui'), JSON.stringify({ ts: Date.now(), lat: 48.512, lon: 32.262, speedKmh: 38 }), { qos: 1 });
    await page.waitForFunction(() => document.querySelector('#vehicles tr[data-id="TB-777"]')?.textContent?.includes('38 км/год'), null, { timeout: 10_000 });
    await page.screenshot({ path: '/tmp/mistohub-real-transit.png' });
  });

  it('the lighting and energy pages show their devices', async () => {
    const lighting = await open(ADMIN_TOKEN);
    await lighting.goto(`${t.httpUrl}/lighting/`);
    await lighting.waitForSelector('tr[data-id="cab-ui"]', { timeout: 10_000 });
    expect(await lighting.locator('tr[data-id="cab-ui"]').innerText()).toMatch(/70\s*%/);

    const energy = await open(ADMIN_TOKEN);
    await energy.goto(`${t.httpUrl}/energy/`);
    await energy.waitForSelector('tr[data-id="mtr-ui"]', { timeout: 10_000 });
    expect(await energy.locator('tr[data-id="mtr-ui"]').innerText()).toContain('Школа 5');
    expect(errors).toEqual([]);
  });
});
