/**
 * The passengers' page in a real Chromium with a phone's viewport, against a real hub on the
 * demo city's GTFS feed with trips around the clock (so nothing depends on the hour it runs at)
 * and trolleybuses reporting over MQTT: the first load on a throttled 3G
 * connection (size budget asserted, time reported), nearest stops from a given location, a
 * stop's arrivals updating by push (the `/open` namespace), and by polling where the socket is
 * blocked (and by push again when it is back), the route map with its vehicles moved by push, favourites, the installable
 * manifest, and the offline shell with the last data marked stale.
 */
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext, Page, Response as PwResponse, Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../support/browser.ts';
import { writeDemoAroundTheClock } from '../support/gtfs-folder.ts';
import { eventually, startTestHub, type TestHub } from '../support/hub.ts';
import { makeTempDir } from '../support/temp-dir.ts';
import { T1_PATH, drive } from './vehicles.ts';

const PHONE = { viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, timezoneId: 'Europe/Kyiv', locale: 'uk-UA' };
/** "Regular 3G"-like: 400 kbit/s down and up, 400 ms round trip. */
const THREE_G = { offline: false, latency: 400, downloadThroughput: (400 * 1024) / 8, uploadThroughput: (400 * 1024) / 8 };
const BUDGET_BYTES = 150 * 1024;
/** The page's poll interval and Socket.IO's longest reconnect delay (dashboards/mobile/app.ts, live.ts). */
const POLL_MS = 20_000;
const RECONNECT_MAX_MS = 10_000;

describe('passengers’ page /m/ on a phone', () => {
  let t: TestHub;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const errors: string[] = [];
  const asked: string[] = [];

  const gtfs = makeTempDir('demo-gtfs');

  beforeAll(async () => {
    writeDemoAroundTheClock(gtfs.path);
    [t, browser] = await Promise.all([startTestHub({ GTFS_PATH: gtfs.path, CITY_TZ: 'Europe/Kyiv' }, { dashboards: true }), launchBrowser()]);
    await drive(t, 'trk-m1', 'TB-201', T1_PATH.slice(0, 2));
    context = await browser.newContext({ ...PHONE, geolocation: { latitude: 48.51712, longitude: 32.28401 }, permissions: ['geolocation'] });
    page = await context.newPage();
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('request', (r) => asked.push(r.url()));
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
    gtfs.remove();
  });

  it('loads small and usable on a throttled 3G connection (figures printed for the report)', async () => {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', THREE_G);
    const loaded: Array<{ url: string; raw: number; gzip: number }> = [];
    const pending: Array<Promise<void>> = [];
    const onResponse = (res: PwResponse) => {
      pending.push(res.body().then((b) => void loaded.push({ url: res.url(), raw: b.length, gzip: gzipSync(b).length })).catch(() => undefined));
    };
    page.on('response', onResponse);
    const started = Date.now();
    await page.goto(`${t.httpUrl}/m/`);
    await page.locator('#nearby-btn').waitFor({ state: 'visible' });
    await page.locator('#search').waitFor({ state: 'visible' });
    const usableMs = Date.now() - started;
    await page.waitForLoadState('load');
    const loadMs = Date.now() - started;
    await Promise.all(pending);
    page.off('response', onResponse);
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await cdp.detach();
    const gzip = loaded.reduce((s, x) => s + x.gzip, 0);
    const raw = loaded.reduce((s, x) => s + x.raw, 0);
    console.log(`[mobile] first load on 3G (400 kbit/s, 400 ms RTT): usable in ${usableMs} ms, load event ${loadMs} ms; ${loaded.length} files, ${raw} B as sent, ${gzip} B gzip:\n${loaded.map((x) => `  ${new URL(x.url).pathname} ${x.raw} B (${x.gzip} B gzip)`).join('\n')}`);
    // The shell is these two files (the service worker's list must name them all); icons and manifest come later.
    const paths = loaded.map((x) => new URL(x.url).pathname);
    expect(paths).toContain('/m/');
    expect(paths.filter((p) => p.endsWith('.js'))).toEqual(['/mobile/app.js']);
    expect(gzip).toBeLessThan(BUDGET_BYTES);
    // No other origin is ever asked.
    expect(asked.every((u) => u.startsWith(t.httpUrl))).toBe(true);
    expect(await page.locator('html').getAttribute('lang')).toBe('uk');
    expect(await page.locator('label[for=search]').innerText()).toBe('Пошук зупинки за назвою');
  });

  it('finds the nearest stops from the phone’s location, sending it rounded to 3 decimals', async () => {
    await page.locator('#nearby-btn').click();
    const first = page.locator('#results li a').first();
    await first.waitFor();
    expect(await first.getAttribute('data-stop')).toBe('st-avtovokzal');
    expect(await first.innerText()).toMatch(/Автовокзал[\s\S]*1[\s\S]*\d+ м/);
    const nearAsks = asked.filter((u) => u.includes('/api/v1/open/stops?near='));
    expect(nearAsks.length).toBeGreaterThan(0);
    expect(nearAsks.every((u) => u.includes('near=48.517,32.284&'))).toBe(true);
    expect(asked.some((u) => u.includes('48.5171'))).toBe(false);
  });

  it('finds a stop by name in English too', async () => {
    await page.locator('#search').fill('bus station');
    await page.locator('#results li a[data-stop="st-avtovokzal"]').waitFor();
  });

  it('shows a stop’s arrivals, updated by push as another trolleybus reports, with a screenshot', async () => {
    const socketClient: Array<Promise<{ raw: number; gzip: number }>> = [];
    const onResponse = (res: PwResponse) => {
      if (new URL(res.url()).pathname === '/mobile/socket.js') socketClient.push(res.body().then((b) => ({ raw: b.length, gzip: gzipSync(b).length })));
    };
    page.on('response', onResponse);
    await page.locator('#results li a[data-stop="st-avtovokzal"]').click();
    await page.waitForURL(/#\/stop\/st-avtovokzal$/);
    const row = page.locator('#arrivals li[data-vehicle="TB-201"]');
    await row.waitFor({ timeout: 15_000 });
    expect(await row.innerText()).toMatch(/1\s+Ковалівка\s+(прибуває|\d+ хв)/);
    expect(await page.locator('#stop-name').innerText()).toBe('Автовокзал');
    expect(await row.getAttribute('aria-label')).toMatch(/^Маршрут 1, Ковалівка, (прибуває|\d+ хв)$/);
    // The socket client came after the page was usable, and the hub confirmed the stop's room.
    await page.locator('#updated[data-live="push"]').waitFor();
    expect(await page.locator('#updated').innerText()).toMatch(/^Оновлено о \d{2}:\d{2} · наживо$/);
    page.off('response', onResponse);
    const [client] = await Promise.all(socketClient);
    expect(client).toBeDefined();
    console.log(`[mobile] a stop shown: + /mobile/socket.js ${client!.raw} B (${client!.gzip} B gzip), loaded after the arrivals`);
    // Another vehicle further back starts reporting: it is pushed, with no REST request at all.
    const restBefore = asked.filter((u) => u.includes('/arrivals')).length;
    await drive(t, 'trk-m2', 'TB-202', [T1_PATH[0]!, T1_PATH[0]!]);
    await page.locator('#arrivals li[data-vehicle="TB-202"]').waitFor({ timeout: 15_000 });
    expect(asked.filter((u) => u.includes('/arrivals')).length).toBe(restBefore);
    expect(await page.locator('#banner').isHidden()).toBe(true);
    await page.screenshot({ path: '/work/mobile-arrivals.png', fullPage: true });
  }, 60_000);

  // It needs a board of several arrivals to measure: the feed has trips every 20 minutes at any hour.
  it('reads at WCAG AA contrast, names its controls, and its text grows with the phone’s setting', async () => {
    const low = await page.evaluate(() => {
      const lum = (c: string) => {
        const [r, g, b] = (c.match(/[\d.]+/g) ?? []).slice(0, 3).map(Number).map((v) => (v / 255 <= 0.03928 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4));
        return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
      };
      const bgOf = (e: Element | null): string => {
        for (; e; e = e.parentElement) {
          const bg = getComputedStyle(e).backgroundColor;
          if (bg && bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent') return bg;
        }
        return 'rgb(255, 255, 255)';
      };
      const out: string[] = [];
      const checked = document.querySelectorAll('#arrivals .badge, #arrivals .when').length;
      if (checked < 4) out.push(`only ${checked} arrival elements to check`);
      for (const e of document.querySelectorAll('header h1 a, #lang, #stop-name, #fav, #arrivals .badge, #arrivals .dest, #arrivals .when, #arrivals .sched, #updated')) {
        const [a, b] = [lum(getComputedStyle(e).color), lum(bgOf(e))].sort((x, y) => y - x) as [number, number];
        const ratio = (a + 0.05) / (b + 0.05);
        if (ratio < 4.5) out.push(`${e.className || e.id}: ${ratio.toFixed(2)} "${e.textContent}"`);
      }
      return out;
    });
    expect(low).toEqual([]);
    expect(await page.locator('#lang').getAttribute('aria-label')).toBe('English');
    expect(await page.locator('#arrivals').getAttribute('aria-label')).toBe('Прибуття');
    // Looked up and measured in one step: a push may redraw the list in between two.
    const size = () => page.evaluate(() => parseFloat(getComputedStyle(document.querySelector('#arrivals li[data-trip] .when')!).fontSize));
    const before = await size();
    await page.evaluate(() => void (document.documentElement.style.fontSize = '200%'));
    expect(await size()).toBeCloseTo(before * 2, 0);
    await page.evaluate(() => void (document.documentElement.style.fontSize = ''));
  });

  it('keeps a favourite stop on the phone', async () => {
    const fav = page.locator('#fav');
    expect(await fav.getAttribute('aria-pressed')).toBe('false');
    await fav.click();
    expect(await fav.getAttribute('aria-pressed')).toBe('true');
    expect(await page.evaluate(() => localStorage.getItem('mistohub.m.favourites'))).toContain('st-avtovokzal');
  });

  it('draws the route’s line with its vehicles on it', async () => {
    await page.locator('#arrivals li[data-vehicle="TB-201"] a').click();
    await page.waitForURL(/#\/route\/T1\/st-avtovokzal$/);
    await page.locator('svg.map g.vehicle[data-vehicle="TB-201"]').waitFor();
    expect(await page.locator('svg.map polyline').count()).toBe(2);
    expect(await page.locator('svg.map').getAttribute('aria-label')).toMatch(/Мапа маршруту 1/);
    expect(await page.locator('#vehicles li[data-vehicle="TB-201"]').innerText()).toMatch(/Ковалівка/);
  });

  it('moves the route’s vehicles by push (room route:T1), with no REST request', async () => {
    await page.locator('#updated[data-live="push"]').waitFor({ timeout: 15_000 });
    expect(await page.locator('#updated').innerText()).toMatch(/наживо/);
    const polled = asked.filter((u) => u.includes('/api/v1/open/routes/')).length;
    // A trolleybus starts reporting on route 1: it comes onto the map, then moves along it.
    await drive(t, 'trk-m9', 'TB-209', T1_PATH.slice(0, 1));
    const dot = page.locator('svg.map g.vehicle[data-vehicle="TB-209"] circle');
    await dot.waitFor({ timeout: 15_000 });
    const before = await dot.getAttribute('cy');
    await page.locator('#vehicles li[data-vehicle="TB-209"]').waitFor();
    await drive(t, 'trk-m9', 'TB-209', T1_PATH.slice(3, 4));
    await expect.poll(() => dot.getAttribute('cy'), { timeout: 15_000 }).not.toBe(before);
    expect(asked.filter((u) => u.includes('/api/v1/open/routes/')).length).toBe(polled);
    expect(await page.locator('svg.map g.vehicle[data-vehicle="TB-201"]').count()).toBe(1);
  });

  it('switches to English', async () => {
    await page.goto(`${t.httpUrl}/m/#/`);
    await page.locator('#lang').click();
    expect(await page.locator('#home-link').innerText()).toBe('Kropyvnytskyi transit');
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
    expect(await page.locator('#favourites li a[data-stop="st-avtovokzal"]').innerText()).toMatch(/Bus Station/);
    await page.locator('#lang').click();
    expect(await page.locator('#home-link').innerText()).toBe('Транспорт Кропивницького');
  });

  it('is installable: the manifest’s fields and icons, and Chromium finds no installability error', async () => {
    const res = await fetch(`${t.httpUrl}/m/manifest.webmanifest`);
    expect(res.headers.get('content-type')).toMatch(/^application\/manifest\+json/);
    const m = (await res.json()) as { name: string; short_name: string; start_url: string; scope: string; display: string; icons: Array<{ src: string; sizes: string; type: string }> };
    expect(m).toMatchObject({ name: 'Транспорт Кропивницького', start_url: '/m/', scope: '/m/', display: 'standalone' });
    for (const icon of m.icons) {
      const r = await fetch(`${t.httpUrl}${icon.src}`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe(icon.type);
      if (icon.type === 'image/png') {
        const b = Buffer.from(await r.arrayBuffer());
        expect(b.subarray(1, 4).toString('ascii')).toBe('PNG');
        expect(`${b.readUInt32BE(16)}x${b.readUInt32BE(20)}`).toBe(icon.sizes);
      }
    }
    expect(m.icons.map((i) => i.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']));
    const cdp = await context.newCDPSession(page);
    const got = (await cdp.send('Page.getAppManifest')) as { url: string; errors: unknown[] };
    expect(got.url).toBe(`${t.httpUrl}/m/manifest.webmanifest`);
    expect(got.errors).toEqual([]);
    const inst = (await cdp.send('Page.getInstallabilityErrors' as 'Page.getAppManifest')) as unknown as { installabilityErrors: Array<{ errorId: string }> };
    // Playwright's contexts are incognito profiles, where Chromium never offers to install; nothing else may be wrong.
    expect(inst.installabilityErrors.filter((e) => e.errorId !== 'in-incognito')).toEqual([]);
    await cdp.detach();
  });

  it('works offline from the service worker, showing the last data plainly marked stale', async () => {
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    // Controlled from the next load; that load's answers are what the worker keeps.
    await page.goto(`${t.httpUrl}/m/#/stop/st-avtovokzal`);
    expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    await page.locator('#arrivals li[data-vehicle]').first().waitFor();
    const rowsOnline = await page.locator('#arrivals li[data-trip]').count();
    await context.setOffline(true);
    try {
      await page.reload();
      const banner = page.locator('#banner');
      await banner.waitFor({ state: 'visible', timeout: 10_000 });
      expect(await banner.innerText()).toMatch(/^Немає зв’язку\. Дані застарілі — станом на \d{2}:\d{2}\.$/);
      expect(await page.locator('#stop-name').innerText()).toBe('Автовокзал');
      expect(await page.locator('#arrivals li[data-trip]').count()).toBeGreaterThan(0);
      expect(rowsOnline).toBeGreaterThan(0);
    } finally {
      await context.setOffline(false);
    }
    // Back online: the next poll clears the notice.
    await page.reload();
    await page.locator('#arrivals li[data-trip]').first().waitFor();
    expect(await page.locator('#banner').isHidden()).toBe(true);
    expect(errors).toEqual([]);
  }, 30_000);

  /** Waits until the hub's open REST answer at `path` names `vehicleId`, so the page's next poll brings it. */
  const hubHas = (path: string, vehicleId: string) =>
    eventually(async () => (await (await t.api(path, { token: null })).text()).includes(`"${vehicleId}"`), 15_000, `${vehicleId} in ${path}`);

  /**
   * A phone page whose Socket.IO requests are refused, in a context of its own without service
   * workers (playwright's routes do not see requests a worker handles); `rest` collects the
   * requests to `restPath`, `blocked` the refused socket requests.
   */
  async function socketBlockedPage(restPath: string) {
    const ctx = await browser.newContext({ ...PHONE, serviceWorkers: 'block' });
    // The page's timers on a clock the test may move on: the 20 s poll and Socket.IO's reconnect
    // delay are run at once instead of waited out (time flows as usual otherwise).
    await ctx.clock.install();
    const p = await ctx.newPage();
    const pageErrors: string[] = [];
    p.on('pageerror', (err) => pageErrors.push(err.message));
    const rest: string[] = [];
    p.on('request', (r) => void (r.url().includes(restPath) && rest.push(r.url())));
    const blocked: string[] = [];
    const block = (route: Route) => {
      blocked.push(route.request().url());
      return route.abort('connectionrefused');
    };
    await p.route('**/socket.io/**', block);
    return { ctx, p, pageErrors, rest, blocked, block };
  }

  it('polls where the socket is blocked, and goes back to push when it is let through', async () => {
    const { ctx, p, pageErrors, rest, blocked, block } = await socketBlockedPage('/api/v1/open/stops/st-avtovokzal/arrivals');
    // TB-201 reports again where it stood: a prediction lapses about a minute after a vehicle's
    // last report, and on a busy machine the tests before this one take longer than that.
    await drive(t, 'trk-m1', 'TB-201', T1_PATH.slice(1, 2));
    try {
      await p.goto(`${t.httpUrl}/m/#/stop/st-avtovokzal`);
      await p.locator('#arrivals li[data-vehicle="TB-201"]').waitFor({ timeout: 15_000 });
      // The socket tried and was refused: the page stays on polling, every 20 s.
      await expect.poll(() => blocked.length, { timeout: 15_000 }).toBeGreaterThan(0);
      expect(await p.locator('#updated').getAttribute('data-live')).toBe('poll');
      const polled = rest.length;
      await drive(t, 'trk-m3', 'TB-203', [T1_PATH[0]!, T1_PATH[0]!]);
      await hubHas('/api/v1/open/stops/st-avtovokzal/arrivals', 'TB-203');
      // The next poll, 20 s on.
      await p.clock.fastForward(POLL_MS);
      await p.locator('#arrivals li[data-vehicle="TB-203"]').waitFor({ timeout: 30_000 });
      expect(rest.length).toBeGreaterThan(polled);
      expect(await p.locator('#updated').getAttribute('data-live')).toBe('poll');
      expect(await p.locator('#updated').innerText()).not.toMatch(/наживо/);

      // The network lets the socket through again: Socket.IO reconnects by itself, and pushes come.
      await p.unroute('**/socket.io/**', block);
      // Socket.IO's next try, at most its reconnectionDelayMax on.
      await p.clock.fastForward(RECONNECT_MAX_MS);
      await p.locator('#updated[data-live="push"]').waitFor({ timeout: 30_000 });
      const pushedFrom = rest.length;
      await drive(t, 'trk-m4', 'TB-204', [T1_PATH[0]!, T1_PATH[0]!]);
      await p.locator('#arrivals li[data-vehicle="TB-204"]').waitFor({ timeout: 15_000 });
      expect(rest.length).toBe(pushedFrom);
      expect(pageErrors).toEqual([]);
    } finally {
      await ctx.close();
    }
  }, 90_000);

  it('polls the route’s map where the socket is blocked', async () => {
    const { ctx, p, pageErrors, rest, blocked } = await socketBlockedPage('/api/v1/open/routes/T1');
    await drive(t, 'trk-m1', 'TB-201', T1_PATH.slice(1, 2));
    try {
      await p.goto(`${t.httpUrl}/m/#/route/T1`);
      await p.locator('svg.map g.vehicle[data-vehicle="TB-201"]').waitFor({ timeout: 15_000 });
      await expect.poll(() => blocked.length, { timeout: 15_000 }).toBeGreaterThan(0);
      expect(await p.locator('#updated').getAttribute('data-live')).toBe('poll');
      const polled = rest.length;
      // A trolleybus starts reporting: the next poll (within 20 s) brings it onto the map.
      await drive(t, 'trk-m5', 'TB-205', [T1_PATH[0]!]);
      await hubHas('/api/v1/open/routes/T1', 'TB-205');
      await p.clock.fastForward(POLL_MS);
      await p.locator('svg.map g.vehicle[data-vehicle="TB-205"]').waitFor({ timeout: 30_000 });
      expect(rest.length).toBeGreaterThan(polled);
      expect(await p.locator('#updated').getAttribute('data-live')).toBe('poll');
      expect(pageErrors).toEqual([]);
    } finally {
      await ctx.close();
    }
  }, 60_000);
});
