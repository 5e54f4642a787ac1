import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser } from '../support/browser.ts';
import { startFakeHub, TOKEN, USER, vehicle, type FakeHub } from './fake-hub.ts';

let browser: Browser;
let hub: FakeHub;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  [browser, hub] = await Promise.all([launchBrowser(), startFakeHub()]);
});

// A dashboard left open redraws its table and map twice a second: each test closes its tabs, so
// the next one does not share the two cores with every page opened before it.
afterEach(async () => {
  for (const c of contexts.splice(0)) await c.close().catch(() => undefined);
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await hub?.close();
});

/** A fresh browser tab at 1366×768; `token` is put into sessionStorage before any page script runs. */
async function openPage(token: string | null): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'uk-UA', timezoneId: 'Europe/Kyiv' });
  contexts.push(context);
  if (token !== null) {
    await context.addInitScript((tok) => sessionStorage.setItem('mistohub.token', tok), token);
  }
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(err.message));
  // CSP violations show up as console errors; failed loads are checked by URL below
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) errors.push(msg.text());
  });
  // a refused token's 401 is expected, and so is socket.io's 400 for a session it closed after refusing it
  page.on('response', (res) => {
    if (res.status() >= 400 && res.status() !== 401 && !res.url().includes('/socket.io/')) errors.push(`${res.status()} ${res.url()}`);
  });
  (page as Page & { errors: string[] }).errors = errors;
  return page;
}

const pageErrors = (page: Page): string[] => (page as Page & { errors?: string[] }).errors ?? [];

async function rowCount(page: Page, tableId: string, n: number): Promise<void> {
  await page.waitForFunction(
    ([id, count]) => document.querySelectorAll(`#${id} tbody tr[data-id]`).length === count,
    [tableId, n] as const,
    { timeout: 10_000 },
  );
}

async function rowText(page: Page, tableId: string, rowId: string): Promise<string> {
  return page.locator(`#${tableId} tbody tr[data-id="${rowId}"]`).innerText();
}

async function noHorizontalScroll(page: Page): Promise<number> {
  return page.evaluate(() => (document.scrollingElement ?? document.documentElement).scrollWidth);
}

/** Is a colour (within a little antialiasing) painted anywhere on the map canvas? */
async function canvasHasColour(page: Page, rgb: [number, number, number]): Promise<boolean> {
  return page.evaluate((c) => {
    const canvas = document.querySelector<HTMLCanvasElement>('#map')!;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i]! - c[0]) < 12 && Math.abs(data[i + 1]! - c[1]) < 12 && Math.abs(data[i + 2]! - c[2]) < 12) return true;
    return false;
  }, rgb);
}

describe('transit dashboard', () => {
  it('signs in with username and password, shows the snapshot and updates a row when a batch arrives', async () => {
    const page = await openPage(null);
    await page.goto(`${hub.url}/?next=%2Ftransit%2F`);
    await page.fill('#username', USER.username);
    await page.fill('#password', USER.password);
    await page.click('#login-submit');
    await page.waitForURL(`${hub.url}/transit/`);
    expect(await page.evaluate(() => sessionStorage.getItem('mistohub.token'))).toBe(TOKEN);

    await rowCount(page, 'vehicles', hub.vehicles.size);
    expect(await rowText(page, 'vehicles', 'T-101')).toContain('23 км/год');
    expect(await rowText(page, 'vehicles', 'T-310')).toContain('без зв’язку');
    expect(await page.locator('#count-live').innerText()).toBe('На зв’язку: 5');
    expect(await page.locator('#count-stale').innerText()).toBe('Без зв’язку: 1');
    expect(await page.locator('#demo-badge').isVisible()).toBe(true);
    expect(await page.locator('#conn-status').innerText()).toBe('Наживо');

    // one batch: T-101 speeds up, T-102 goes stale, a new vehicle appears
    const t101 = hub.vehicles.get('T-101');
    const t102 = hub.vehicles.get('T-102');
    if (!t101 || !t102) throw new Error('sample data changed');
    hub.emitVehicles([
      { ...t101, speedKmh: 47, lat: t101.lat + 0.001, ts: new Date().toISOString() },
      { ...t102, stale: true },
      vehicle({ vehicleId: 'B-5001', routeId: '4', lat: 48.501, lon: 32.25, speedKmh: 15 }),
    ]);
    await page.waitForFunction(() => document.querySelector('#vehicles tr[data-id="T-101"]')?.textContent?.includes('47 км/год'), null, { timeout: 10_000 });
    await rowCount(page, 'vehicles', 7);
    expect(await rowText(page, 'vehicles', 'T-102')).toContain('без зв’язку');
    expect(await page.locator('#vehicles tr[data-id="T-102"]').getAttribute('class')).toContain('stale');
    expect(await page.locator('#count-stale').innerText()).toBe('Без зв’язку: 2');

    // the routes of the feed are drawn as lines with their stops, in their colours
    await page.waitForFunction(() => document.querySelector<HTMLCanvasElement>('#map')?.dataset.lines === '2', null, { timeout: 10_000 });
    expect(await page.locator('#map').getAttribute('data-stops')).toBe('5');
    expect(await page.locator('#route-legend button').allInnerTexts()).toEqual(['1', '36']);
    expect(await page.locator('#map').getAttribute('aria-label')).toBe('Схема маршрутів: 2 маршрутів, 5 зупинок, 7 транспортних засобів');
    expect(await canvasHasColour(page, [0xe5, 0x39, 0x35])).toBe(true);
    expect(await canvasHasColour(page, [0x1e, 0x88, 0xe5])).toBe(true);

    // the route filter narrows the table and the map; "all routes" brings everything back
    await page.selectOption('#route-filter', '36');
    await rowCount(page, 'vehicles', 2);
    expect(await page.locator('#count-shown').innerText()).toBe('Показано: 2 з 7');
    await page.waitForFunction(() => document.querySelector<HTMLCanvasElement>('#map')?.dataset.lines === '1', null, { timeout: 10_000 });
    expect(await page.locator('#map').getAttribute('data-stops')).toBe('3');
    expect(await page.locator('#route-legend button[data-route="36"]').getAttribute('aria-pressed')).toBe('true');
    // stop names of the one route are written beside its stops
    expect(Number(await page.locator('#map').getAttribute('data-labels-shown'))).toBeGreaterThanOrEqual(5);
    await page.selectOption('#route-filter', '');
    await rowCount(page, 'vehicles', 7);
    // the legend filters too, from the keyboard
    await page.locator('#route-legend button[data-route="1"]').focus();
    await page.keyboard.press('Enter');
    await rowCount(page, 'vehicles', 2);
    await page.keyboard.press('Enter');
    await rowCount(page, 'vehicles', 7);

    // labels of vehicles on top of each other do not pile up: one is left out
    const before = Number(await page.locator('#map').getAttribute('data-labels-hidden'));
    // (four sides to a marker: five more labels on one spot leave at least two out)
    hub.emitVehicles([1, 2, 3, 4, 5].map((i) => vehicle({ vehicleId: `B-600${i}`, routeId: '36', lat: 48.4981, lon: 32.2755 })));
    await rowCount(page, 'vehicles', 12);
    await page.waitForFunction((n) => Number(document.querySelector<HTMLCanvasElement>('#map')?.dataset.labelsHidden) >= n + 2, before, { timeout: 10_000 });

    await page.screenshot({ path: '/tmp/mistohub-transit.png' });
    expect(pageErrors(page)).toEqual([]);
  }, 60_000);

  it('switches to English and back, and remembers the choice', async () => {
    const page = await openPage(TOKEN);
    await page.goto(`${hub.url}/transit/`);
    await rowCount(page, 'vehicles', hub.vehicles.size);
    expect(await page.getAttribute('html', 'lang')).toBe('uk');
    expect(await page.locator('h1').innerText()).toBe('Громадський транспорт');

    await page.click('#lang-toggle');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    expect(await page.locator('h1').innerText()).toBe('Public transport');
    expect(await page.locator('#vehicles thead').innerText()).toContain('Route');
    await page.waitForFunction(() => document.querySelector('#count-live')?.textContent?.startsWith('Live:'));
    expect(await page.locator('#lang-toggle').innerText()).toBe('Українська');
    expect(await page.title()).toBe('mistohub — transit');
    await page.screenshot({ path: '/tmp/mistohub-transit-en.png' });

    await page.reload();
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    expect(await page.locator('h1').innerText()).toBe('Public transport');

    await page.click('#lang-toggle');
    await page.waitForFunction(() => document.documentElement.lang === 'uk');
    expect(await page.locator('h1').innerText()).toBe('Громадський транспорт');
    expect(await page.locator('#lang-toggle').innerText()).toBe('English');
    expect(await page.evaluate(() => localStorage.getItem('mistohub.lang'))).toBe('uk');
    expect(pageErrors(page)).toEqual([]);
  });

  it('shows a clear sign-in message when the token is refused', async () => {
    const page = await openPage('not-a-valid-token');
    await page.goto(`${hub.url}/transit/`);
    const banner = page.locator('#auth-banner');
    await banner.waitFor({ state: 'visible', timeout: 10_000 });
    expect(await banner.innerText()).toContain('Сервер відхилив ваш токен');
    expect(await banner.getAttribute('role')).toBe('alert');
    expect(await banner.locator('a').getAttribute('href')).toBe('/?next=%2Ftransit%2F#sign-in');
    expect(await page.locator('#conn-status').innerText()).toBe('Потрібен вхід');
    expect(await page.locator('#vehicles tbody tr[data-id]').count()).toBe(0);
    await page.waitForFunction(() => document.querySelector('#vehicles tbody')?.textContent === 'Немає даних для показу', null, { timeout: 10_000 });
    await page.screenshot({ path: '/tmp/mistohub-transit-badtoken.png' });
    expect(pageErrors(page)).toEqual([]);
  });

  it('asks to sign in when there is no token, and a wrong password says so', async () => {
    const page = await openPage(null);
    await page.goto(`${hub.url}/transit/`);
    const banner = page.locator('#auth-banner');
    await banner.waitFor({ state: 'visible', timeout: 10_000 });
    expect(await banner.innerText()).toContain('Ви не ввійшли');

    await banner.locator('a').click();
    await page.waitForURL(/\/\?next=/);
    await page.fill('#username', USER.username);
    await page.fill('#password', 'wrong');
    await page.click('#login-submit');
    await page.waitForFunction(() => document.querySelector('#login-message')?.textContent?.includes('Неправильне'), null, { timeout: 10_000 });
    expect(await page.evaluate(() => sessionStorage.getItem('mistohub.token'))).toBeNull();
    expect(pageErrors(page)).toEqual([]);
  });

  it('is usable from the keyboard: skip link, route filter, language toggle, rows', async () => {
    const page = await openPage(TOKEN);
    await page.goto(`${hub.url}/transit/`);
    await rowCount(page, 'vehicles', hub.vehicles.size);

    const reached: string[] = [];
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press('Tab');
      reached.push(
        await page.evaluate(() => {
          const el = document.activeElement as HTMLElement | null;
          if (!el) return '';
          return el.id || (el.classList.contains('skip-link') ? 'skip-link' : el.dataset.id ? `row:${el.dataset.id}` : el.tagName.toLowerCase());
        }),
      );
    }
    expect(reached[0]).toBe('skip-link');
    expect(reached).toContain('lang-toggle');
    expect(reached).toContain('route-filter');
    expect(reached.some((r) => r.startsWith('row:'))).toBe(true);
    expect(reached.indexOf('lang-toggle')).toBeLessThan(reached.indexOf('route-filter'));

    // focus is visible: the focused control draws an outline
    await page.focus('#route-filter');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement as Element).outlineStyle);
    expect(outline).not.toBe('none');

    // Enter on a row selects it; the language toggle works from the keyboard
    const firstRow = page.locator('#vehicles tbody tr[data-id]').first();
    await firstRow.focus();
    await page.keyboard.press('Enter');
    expect(await firstRow.getAttribute('aria-selected')).toBe('true');
    await page.keyboard.press('ArrowDown');
    expect(await page.evaluate(() => (document.activeElement as HTMLElement).dataset.id)).toBe(
      await page.locator('#vehicles tbody tr[data-id]').nth(1).getAttribute('data-id'),
    );
    await page.focus('#lang-toggle');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    expect(pageErrors(page)).toEqual([]);
  });
});

describe('every dashboard at 1366×768', () => {
  const cases = [
    { path: '/', shot: 'start', ready: '#health-list li' },
    { path: '/transit/', shot: 'transit-1366', ready: '#vehicles tbody tr[data-id]' },
    { path: '/lighting/', shot: 'lighting', ready: '#controllers tbody tr[data-id]' },
    { path: '/energy/', shot: 'energy', ready: '#meters tbody tr[data-id]' },
  ];
  for (const c of cases) {
    it(`${c.path} fits without a horizontal scrollbar`, async () => {
      const page = await openPage(TOKEN);
      await page.goto(`${hub.url}${c.path}`);
      await page.locator(c.ready).first().waitFor({ timeout: 10_000 });
      expect(await noHorizontalScroll(page)).toBeLessThanOrEqual(1366);
      await page.screenshot({ path: `/tmp/mistohub-${c.shot}.png` });
      expect(pageErrors(page)).toEqual([]);
    });
  }
});

describe('lighting dashboard', () => {
  it('shows cabinets with faults highlighted and the total power, and applies a batch', async () => {
    const page = await openPage(TOKEN);
    await page.goto(`${hub.url}/lighting/`);
    await rowCount(page, 'controllers', hub.controllers.size);
    expect(await page.locator('#controllers tr[data-id="SH-017"]').getAttribute('class')).toContain('fault');
    expect(await rowText(page, 'controllers', 'SH-017')).toContain('потужність не за рівнем');
    expect(await page.locator('#controllers tr[data-id="SH-023"] td.num.alert').innerText()).toContain('262');
    expect(await page.locator('#count-faults').innerText()).toBe('З несправностями: 2');
    // 4210 + 2630 + 9800 + 4200 + 0 (SH-044 is stale and not counted)
    expect(await page.locator('#total-power').innerText()).toBe('Потужність зараз: 20,84 кВт');
    expect(await page.locator('#map-nocoords').innerText()).toBe('без координат: 1');

    const sh031 = hub.controllers.get('SH-031');
    if (!sh031) throw new Error('sample data changed');
    hub.emitControllers([{ ...sh031, on: true, level: 80, powerW: 3000 }]);
    await page.waitForFunction(() => document.querySelector('#controllers tr[data-id="SH-031"]')?.textContent?.includes('80 %'), null, { timeout: 10_000 });
    expect(await page.locator('#total-power').innerText()).toBe('Потужність зараз: 23,84 кВт');
    expect(pageErrors(page)).toEqual([]);
  });
});

describe('energy dashboard', () => {
  it('shows meters with register values and draws the power chart', async () => {
    const page = await openPage(TOKEN);
    await page.goto(`${hub.url}/energy/`);
    await rowCount(page, 'meters', hub.meters.size);
    const text = await rowText(page, 'meters', 'HM-0107');
    expect(text).toContain('Гкал');
    expect(text).toContain('85,00 кВт');
    // electric only: 18.4 + 6.2 + 4.9 + 96.3 kW
    expect(await page.locator('#total-power').innerText()).toBe('Електрична потужність зараз: 125,8 кВт');
    await page.locator('#chart canvas').first().waitFor({ timeout: 10_000 });

    const em1 = hub.meters.get('EM-0001');
    if (!em1) throw new Error('sample data changed');
    hub.emitMeters([{ ...em1, value: 84212.5, powerW: 20_400 }]);
    await page.waitForFunction(() => document.querySelector('#meters tr[data-id="EM-0001"]')?.textContent?.includes('20,40 кВт'), null, { timeout: 10_000 });
    expect(pageErrors(page)).toEqual([]);
  });
});
