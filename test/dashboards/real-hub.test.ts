import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deflateSync } from 'node:zlib';
import mqtt from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../services/contracts/index.ts';
import { launchBrowser } from '../support/browser.ts';
import { DEMO_GTFS_DIR } from '../../simulators/city/demo-gtfs.ts';
import { ADMIN_TOKEN, startTestHub, type TestHub } from '../support/hub.ts';

/** A 256×256 PNG of one colour: a street-map tile server's answer. */
function solidPng(rgb: [number, number, number]): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (b: Buffer) => {
    let c = 0xffffffff;
    for (const x of b) c = crcTable[(c ^ x) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(body.length + 8);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc(body), body.length + 4);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(256, 0);
  ihdr.writeUInt32BE(256, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: 256 }, () => rgb).flat())]);
  const raw = Buffer.concat(Array.from({ length: 256 }, () => row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

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

  // A street-map tile server (MAP_TILE_URL): every tile orange.
  const tilesAsked: string[] = [];
  const tile = solidPng([255, 128, 0]);
  const tileServer: Server = createServer((req, res) => {
    tilesAsked.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'image/png' }).end(tile);
  });

  beforeAll(async () => {
    await new Promise<void>((r) => tileServer.listen(0, '127.0.0.1', r));
    const tiles = `http://127.0.0.1:${(tileServer.address() as AddressInfo).port}/tiles/{z}/{x}/{y}.png`;
    [browser, t] = await Promise.all([launchBrowser(), startTestHub({ GTFS_PATH: DEMO_GTFS_DIR, MAP_TILE_URL: tiles }, { dashboards: true })]);
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
    tileServer.close();
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
    // The street map is drawn under the lines, its tiles relayed by the hub, darkened for contrast.
    const streetMapDrawn = () =>
      page.waitForFunction(() => {
        const c = document.querySelector<HTMLCanvasElement>('#map')!;
        const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
        for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i]! - 147) < 6 && Math.abs(d[i + 1]! - 81) < 6 && Math.abs(d[i + 2]! - 14) < 6) return true;
        return false;
      }, null, { timeout: 10_000 });
    await streetMapDrawn();
    expect(tilesAsked.length).toBeGreaterThan(0);
    expect(tilesAsked.every((u) => /^\/tiles\/1[2-5]\/\d+\/\d+\.png$/.test(u))).toBe(true);
    await page.selectOption('#route-filter', 'T7');
    await page.waitForFunction(() => document.querySelector<HTMLCanvasElement>('#map')?.dataset.lines === '2', null, { timeout: 10_000 });
    expect(await page.locator('#vehicles tr[data-id="TB-777"]').count()).toBe(1);
    await streetMapDrawn();
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

  it('a page whose token is revoked says so and asks to sign in again, instead of showing stale data as live', async () => {
    const created = await t.api('/api/v1/tokens', { method: 'POST', json: { name: 'night shift', roles: ['lighting'] } });
    const { id, token } = (await created.json()) as { id: string; token: string };
    const page = await open(token);
    await page.goto(`${t.httpUrl}/lighting/`);
    await page.waitForSelector('tr[data-id="cab-ui"]', { timeout: 10_000 });
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#conn-status')?.dataset.state === 'live', null, { timeout: 10_000 });
    expect((await t.api(`/api/v1/tokens/${id}`, { method: 'DELETE' })).status).toBe(204);
    // The hub ends the socket with `session-ended`; the page does not reconnect with a dead token.
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#conn-status')?.dataset.state === 'unauthorized', null, { timeout: 10_000 });
    expect(await page.locator('#auth-banner').innerText()).toContain('Увійдіть знову');
  });
});
