/**
 * The stop board page in a real Chromium against a real hub: a display token bound to its stop,
 * rows pushed as vehicles report, "arriving" under a minute, the stale notice when the hub
 * stops, and recovery by itself when it is back.
 */
import mqtt from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../../services/contracts/index.ts';
import { DOMAINS } from '../../../services/hub/domains.ts';
import { createTransitModule, transitDomain } from '../../../services/transit/module.ts';
import { launchBrowser } from '../../support/browser.ts';
import { freePort } from '../../support/free-port.ts';
import { EVERY_DAY } from '../../support/gtfs-folder.ts';
import { startTestHub, type TestHub } from '../../support/hub.ts';
import { makeTempDir } from '../../support/temp-dir.ts';
import { at, lineFeed } from './feed-fixture.ts';

describe('stop board page', () => {
  const feed = lineFeed({ firstH: 0, lastH: 25 });
  feed.calendars.set('WK', { serviceId: 'WK', ...EVERY_DAY });
  const domains = DOMAINS.map((d) => (d === transitDomain ? { ...transitDomain, create: (ctx: Parameters<typeof createTransitModule>[0]) => createTransitModule(ctx, () => feed) } : d));
  const dir = makeTempDir('stop-board');
  let port: number;
  let browser: Browser;
  let t: TestHub | undefined;
  let page: Page;
  let token: string;
  const errors: string[] = [];

  const startHub = async () => {
    t = await startTestHub({ HTTP_PORT: String(port), CITY_TZ: 'Europe/Kyiv' }, { dashboards: true, domains, dataDir: dir.path });
    return t;
  };
  const report = async (hub: TestHub, id: string, vehicleId: string, points: { eastM: number; dtMs: number }[]) => {
    const res = await hub.api(`/api/v1/devices/${id}`);
    const secret = res.status === 404 ? (await hub.register({ id, kind: 'tracker', protocol: 'mqtt', vehicleId, routeId: 'R1' })).secret
      : ((await (await hub.api(`/api/v1/devices/${id}`, { method: 'PATCH', json: { rotateSecret: true } })).json()) as { secret: string }).secret;
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${hub.mqttPort}`, { username: id, password: secret });
    for (const p of points) {
      const where = at(p.eastM);
      await c.publishAsync(topics.position(id), JSON.stringify({ ts: Date.now() + p.dtMs, lat: where.lat, lon: where.lon, speedKmh: 36, courseDeg: 90 }), { qos: 1 });
    }
    await c.endAsync();
  };

  beforeAll(async () => {
    port = await freePort();
    [browser] = await Promise.all([launchBrowser(), startHub()]);
    const created = (await (await t!.api('/api/v1/tokens', { method: 'POST', json: { name: 'board-s3', roles: ['display'] } })).json()) as { token: string };
    token = created.token;
    expect((await t!.api('/api/v1/transit/displays/token:board-s3/stops', { method: 'PUT', json: { stopIds: ['S3'] } })).status).toBe(200);
    // BUS-2 is 100 m before S3, heading east: there in well under a minute.
    await report(t!, 'trk-2', 'BUS-2', [{ eastM: 800, dtMs: -10_000 }, { eastM: 900, dtMs: 0 }]);
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, timezoneId: 'Europe/Kyiv' });
    page = await context.newPage();
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error' && !/ERR_CONNECTION_REFUSED|Failed to load resource|WebSocket/.test(msg.text())) errors.push(msg.text());
    });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
    dir.remove();
  });

  it('shows route, destination and "прибуває" for a vehicle under a minute away, in Ukrainian, and takes the token out of the address', async () => {
    await page.goto(`http://127.0.0.1:${port}/stop/S3#token=${token}`);
    const row = page.locator('#board tr[data-vehicle="BUS-2"]');
    await row.waitFor({ timeout: 10_000 });
    expect(await row.innerText()).toMatch(/1\s+Stop 5\s+прибуває/);
    expect(page.url()).toBe(`http://127.0.0.1:${port}/stop/S3`);
    expect(await page.locator('#board th').allInnerTexts()).toEqual(['Маршрут', 'Напрямок', 'Через']);
    expect(await page.locator('#status').isHidden()).toBe(true);
    expect(await page.locator('#clock').innerText()).toMatch(/^\d{2}:\d{2}$/);
    // Scheduled trips are marked as such.
    expect(await page.locator('#board tr.scheduled').count()).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });

  it('updates by push when another vehicle reports', async () => {
    await report(t!, 'trk-1', 'BUS-1', [{ eastM: 0, dtMs: -10_000 }, { eastM: 0, dtMs: 0 }]);
    await page.locator('#board tr[data-vehicle="BUS-1"]').waitFor({ timeout: 10_000 });
  });

  it('switches to English from the keyboard', async () => {
    await page.focus('#lang');
    await page.keyboard.press('Enter');
    expect(await page.locator('#board th').allInnerTexts()).toEqual(['Route', 'Destination', 'Due']);
    await page.keyboard.press('Enter');
    expect(await page.locator('#board th').first().innerText()).toBe('Маршрут');
  });

  it('says plainly that its data is stale when the hub goes away, and recovers by itself when it is back', async () => {
    await t!.stop();
    t = undefined;
    const status = page.locator('#status');
    await status.waitFor({ state: 'visible', timeout: 10_000 });
    expect(await status.innerText()).toMatch(/Немає зв’язку з сервером/);
    await startHub();
    await status.waitFor({ state: 'hidden', timeout: 20_000 });
    await page.locator('#board tbody tr').first().waitFor({ timeout: 10_000 });
  });
});
