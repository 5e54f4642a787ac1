/**
 * The dispatch page's tools in a real Chromium against a real hub: the headway strip, alerts by
 * push, the service-alert editor and a vehicle's day played back. The hub runs a small GTFS feed
 * (route R1, trips every ten minutes around the clock, every day), so nothing depends on the hour
 * the test runs at; the two buses are put on their trips by a dispatcher's assignment.
 */
import mqtt from 'mqtt';
import { io } from 'socket.io-client';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics, type OpsAlert, type PlaybackDay, type RouteHeadways, type ServiceAlert } from '../../services/contracts/index.ts';
import { DISPATCH_ALERTS_ROOM } from '../../services/contracts/socket-events.ts';
import { launchBrowser } from '../support/browser.ts';
import { EVERY_DAY, writeGtfsFolder } from '../support/gtfs-folder.ts';
import { eventually, startTestHub, type TestHub } from '../support/hub.ts';
import { makeTempDir } from '../support/temp-dir.ts';
import { at, lineFeed } from './realtime/feed-fixture.ts';

/** The fixture line (R1, S1…S5 500 m apart) as a GTFS folder, trips from 00:00 to 25:00, every day of 2000–2099. */
function writeLineGtfs(dir: string): void {
  const feed = lineFeed({ firstH: 0, lastH: 25 });
  feed.calendars.set('WK', { serviceId: 'WK', ...EVERY_DAY });
  writeGtfsFolder(dir, feed);
}

const kyiv = (ms: number, opts: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Kyiv', hourCycle: 'h23', ...opts }).format(ms);
const kyivMinutes = (ms: number) => {
  const [h, m] = kyiv(ms, { hour: '2-digit', minute: '2-digit' }).split(':').map(Number);
  return h! * 60 + m!;
};

describe('dispatch page tools on a real hub', () => {
  const gtfs = makeTempDir('line-gtfs');
  let browser: Browser;
  let t: TestHub;
  const trackers: mqtt.MqttClient[] = [];
  let page: Page;
  const errors: string[] = [];
  const sent = new Map<string, number[]>();
  let tripA = '';
  let tripB = '';
  /** Just before and just after the page was loaded: it takes the day of playback from its clock then. */
  const loadedAt: number[] = [];

  /** Positions every 10 s: standing at S1 for `waitS`, then east to `toM` in `runS`; ts from `startMs`. */
  async function drive(client: mqtt.MqttClient, device: string, startMs: number, waitS: number, toM: number, runS: number): Promise<void> {
    for (let s = 0; s <= waitS + runS; s += 10) {
      const m = s <= waitS ? 0 : (toM * (s - waitS)) / runS;
      const ts = startMs + s * 1000;
      (sent.get(device) ?? sent.set(device, []).get(device)!).push(ts);
      await client.publishAsync(topics.position(device), JSON.stringify({ ts, ...at(m), speedKmh: s <= waitS ? 0 : Math.round((toM / runS) * 3.6), ...(s <= waitS ? {} : { courseDeg: 90 }) }), { qos: 1 });
    }
  }

  beforeAll(async () => {
    writeLineGtfs(gtfs.path);
    [browser, t] = await Promise.all([launchBrowser(), startTestHub({ GTFS_PATH: gtfs.path, CITY_TZ: 'Europe/Kyiv' }, { dashboards: true })]);
    for (const n of [1, 2]) {
      const { secret } = await t.register({ id: `trk-${n}`, kind: 'tracker', protocol: 'mqtt', vehicleId: `BUS-${n}`, routeId: 'R1' });
      trackers.push(await mqtt.connectAsync(`mqtt://127.0.0.1:${t.mqttPort}`, { username: `trk-${n}`, password: secret }));
    }
    // Two consecutive outbound trips, the first due to have left a few minutes ago.
    const now = Date.now();
    const k = Math.floor(kyivMinutes(now - 5 * 60_000) / 10) * 10;
    tripA = `T0-${k}`;
    tripB = `T0-${k + 10}`;
    for (const [v, trip] of [['BUS-1', tripA], ['BUS-2', tripB]] as const) {
      const res = await t.api(`/api/v1/transit/vehicles/${v}/assignment`, { method: 'PUT', json: { tripId: trip } });
      expect(res.status, await res.text()).toBe(200);
    }
    // BUS-1 leaves S1 and passes S2; BUS-2, ten minutes behind it on the timetable, passes S2 about two minutes after it: very bunched.
    await drive(trackers[0]!, 'trk-1', now - 250_000, 20, 900, 120);
    await drive(trackers[1]!, 'trk-2', now - 130_000, 10, 700, 100);

    const tok = (await (await t.api('/api/v1/tokens', { method: 'POST', json: { name: 'desk', roles: ['dispatcher'] } })).json()) as { token: string };
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'uk-UA', timezoneId: 'Europe/Kyiv' });
    await context.addInitScript((token) => sessionStorage.setItem('mistohub.token', token), tok.token);
    page = await context.newPage();
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });
  });
  afterAll(async () => {
    for (const c of trackers) await c.endAsync();
    await browser?.close();
    await t?.stop();
    gtfs.remove();
  });

  it('draws the headway strip of the route, the gap coloured by the hub\'s rating, and opens a vehicle from it by keyboard', async () => {
    const group = await eventually(async () => {
      const list = (await (await t.api('/api/v1/transit/headways')).json()) as RouteHeadways[];
      return list.find((g) => g.routeId === 'R1' && g.directionId === 0 && g.vehicles.length === 2 && g.vehicles[1]!.headway);
    }, 10_000, 'a measured headway');
    expect(group.vehicles.map((v) => v.vehicleId)).toEqual(['BUS-1', 'BUS-2']);
    expect(group.vehicles[1]!.headway).toMatchObject({ leaderVehicleId: 'BUS-1', scheduledS: 600, rating: 'very-bunched' });

    loadedAt.push(Date.now());
    await page.goto(`${t.httpUrl}/transit/`);
    loadedAt.push(Date.now());
    const strip = page.locator('.strip[data-route="R1"][data-direction="0"]');
    await strip.locator('.strip-veh').nth(1).waitFor({ timeout: 10_000 });
    expect(await strip.locator('.strip-name').innerText()).toBe('R1 → Stop 5');
    // Read at one instant (the strip is redrawn when the hub's headways change).
    const seen = await page.evaluate(() => {
      const row = document.querySelector('.strip[data-route="R1"][data-direction="0"]')!;
      const left = (v: string) => parseFloat(row.querySelector<HTMLElement>(`.strip-veh[data-vehicle="${v}"]`)!.style.left);
      const gap = row.querySelector<HTMLElement>('.strip-gap[data-follower="BUS-2"]')!;
      return { bus1: left('BUS-1'), bus2: left('BUS-2'), rating: gap.dataset.rating, color: getComputedStyle(gap).backgroundColor, title: gap.title };
    });
    expect(seen.bus1).toBeGreaterThan(seen.bus2);
    expect(seen.rating).toBe('very-bunched');
    expect(seen.color).toBe('rgb(229, 72, 77)');
    expect(seen.title).toContain('BUS-2 за BUS-1: дуже скупчено');

    await strip.locator('.strip-veh[data-vehicle="BUS-2"]').focus();
    await page.keyboard.press('Enter');
    await eventually(async () => (await page.locator('#vehicle-trip').innerText()) === tripB, 10_000, 'the vehicle panel');
    expect(await page.locator('#headways-heading').innerText()).toBe('Інтервали руху');
  });

  it('takes operations alerts by push: another dispatcher\'s acknowledgement shows without a reload', async () => {
    const alert = await eventually(async () => {
      const list = (await (await t.api('/api/v1/transit/ops-alerts')).json()) as OpsAlert[];
      return list.find((a) => a.kind === 'bunching' && a.vehicleId === 'BUS-2');
    }, 15_000, 'the bunching alert');
    const row = page.locator(`#ops-alerts li[data-id="${alert.id}"]`);
    await row.waitFor({ timeout: 10_000 });
    expect(await row.getAttribute('data-state')).toBe('open');
    // The page no longer polls: only the push can tell it.
    expect((await t.api(`/api/v1/transit/ops-alerts/${alert.id}/ack`, { method: 'POST' })).status).toBe(200);
    await page.waitForSelector(`#ops-alerts li[data-id="${alert.id}"][data-state="acknowledged"]`, { timeout: 10_000 });
    expect(await row.innerText()).toContain('підтверджено (admin)');
  });

  it('creates, edits and ends a service alert, with each REST error shown next to its field', async () => {
    await page.locator('#sa-panel summary').click();
    const err = (f: string) => page.locator(`[id="sa-err-${f}"]`);
    await page.locator('#sa-stops').fill('S3');
    await page.locator('#sa-save').click();
    await err('header.uk').filter({ hasText: /\S/ }).waitFor({ timeout: 10_000 });
    expect(await err('header.uk').innerText()).toContain('must not be empty');
    expect(await page.locator('#sa-header-uk').getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('sa-header-uk');

    await page.locator('#sa-header-uk').fill('Ремонт колії на Вокзальній');
    await page.locator('#sa-start').fill('2030-01-15T18:00');
    await page.locator('#sa-end').fill('2030-01-15T08:00');
    await page.locator('#sa-save').click();
    await err('end').filter({ hasText: /\S/ }).waitFor({ timeout: 10_000 });
    expect(await err('end').innerText()).toBe('must be after start');
    expect(await err('header.uk').innerText()).toBe('');

    await page.locator('#sa-start').fill('2030-01-15T08:00');
    await page.locator('#sa-end').fill('2030-01-15T18:00');
    await page.locator('#sa-stops').fill('S3, NOPE');
    await page.locator('#sa-save').click();
    await err('stopIds').filter({ hasText: /\S/ }).waitFor({ timeout: 10_000 });
    expect(await err('stopIds').innerText()).toBe('stop NOPE is not in the GTFS feed');

    await page.locator('#sa-stops').fill('S3');
    await page.locator('#sa-routes').selectOption('R1');
    await page.locator('#sa-save').click();
    const item = page.locator('#sa-list li').filter({ hasText: 'Ремонт колії на Вокзальній' });
    await item.waitFor({ timeout: 10_000 });
    const [created] = (await (await t.api('/api/v1/transit/service-alerts')).json()) as ServiceAlert[];
    // Kyiv wall-clock time in winter is UTC+2.
    expect(created).toMatchObject({ routeIds: ['R1'], stopIds: ['S3'], start: '2030-01-15T06:00:00.000Z', end: '2030-01-15T16:00:00.000Z', header: { uk: 'Ремонт колії на Вокзальній' }, state: 'upcoming', createdBy: 'token:desk' });
    expect(await item.getAttribute('data-state')).toBe('upcoming');

    // Edit: the form comes back filled; an English header is added.
    await item.getByRole('button', { name: /Змінити/ }).click();
    expect(await page.locator('#sa-start').inputValue()).toBe('2030-01-15T08:00');
    expect(await page.locator('#sa-header-uk').inputValue()).toBe('Ремонт колії на Вокзальній');
    await page.locator('#sa-header-en').fill('Track works on Vokzalna');
    await page.locator('#sa-save').click();
    await eventually(async () => ((await (await t.api(`/api/v1/transit/service-alerts`)).json()) as ServiceAlert[])[0]!.header.en === 'Track works on Vokzalna', 10_000, 'the edit');

    // Another dispatcher's alert arrives by push.
    const other = await t.api('/api/v1/transit/service-alerts', { method: 'POST', json: { stopIds: ['S5'], header: { uk: 'Зупинку S5 перенесено' } } });
    expect(other.status).toBe(201);
    await page.locator('#sa-list li').filter({ hasText: 'Зупинку S5 перенесено' }).waitFor({ timeout: 10_000 });

    // End ours: it leaves the list, kept as ended.
    await item.getByRole('button', { name: /Завершити/ }).click();
    await item.waitFor({ state: 'detached', timeout: 10_000 });
    const ended = (await (await t.api(`/api/v1/transit/service-alerts?state=ended`)).json()) as ServiceAlert[];
    expect(ended.map((a) => a.id)).toEqual([created!.id]);
  });

  it('plays back a vehicle\'s day with a keyboard-operated slider: time, speed, trip and delay at each position', async () => {
    const kyivDate = (ms: number) => kyiv(ms, { year: 'numeric', month: '2-digit', day: '2-digit' });
    const first = sent.get('trk-1')![0]!;
    const date = kyivDate(first);
    const day = (await (await t.api(`/api/v1/transit/vehicles/BUS-1/day?date=${date}`)).json()) as PlaybackDay;
    // Every point sent on that day in Kyiv: all of them, unless the test runs across midnight.
    expect(day.points.map((p) => Date.parse(p.ts))).toEqual(sent.get('trk-1')!.filter((ts) => kyivDate(ts) === date));
    expect(day.points.at(-1)!.tripId).not.toBeNull();

    await page.locator('#playback-panel summary').click();
    // Today in Kyiv by default (the day the page was loaded on).
    expect(loadedAt.map(kyivDate)).toContain(await page.locator('#playback-date').inputValue());
    await page.locator('#playback-vehicle').selectOption('BUS-1');
    await page.locator('#playback-date').fill(date);
    await page.locator('#playback-load').click();
    const slider = page.locator('#playback-slider');
    await slider.waitFor({ state: 'visible', timeout: 10_000 });
    expect(await page.locator('#playback-status').innerText()).toBe(`${day.points.length} позицій`);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('playback-slider');

    const shown = async () => page.locator('#playback-at').innerText();
    const expected = (i: number) => {
      const p = day.points[i]!;
      const time = kyiv(Date.parse(p.ts), { hour: '2-digit', minute: '2-digit', second: '2-digit' });
      return { time, speed: `${p.speedKmh} км/год`, trip: p.tripId ?? 'не на рейсі' };
    };
    await page.keyboard.press('End');
    expect(await slider.inputValue()).toBe(String(day.points.length - 1));
    const last = expected(day.points.length - 1);
    expect(await shown()).toContain(last.time);
    expect(await shown()).toContain(last.speed);
    expect(await shown()).toContain(`рейс: ${last.trip}`);
    await page.keyboard.press('Home');
    expect(await slider.inputValue()).toBe('0');
    expect(await shown()).toContain(expected(0).time);
    expect(await shown()).toContain('0 км/год');
    await page.keyboard.press('ArrowRight');
    expect(await slider.inputValue()).toBe('1');
    expect(await shown()).toContain(expected(1).time);

    // Fits 1366×768: nothing sticks out sideways.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1366);
    await page.screenshot({ path: '/tmp/mistohub-transit-tools.png' });
    // Chromium logs each refused request; the three the editor test sent on purpose are the only ones.
    const refused = errors.filter((e) => e.includes('status of 400'));
    expect(refused).toHaveLength(3);
    expect(errors.filter((e) => !refused.includes(e))).toEqual([]);
  });

  it('refuses a bad day and keeps the dispatch desk\'s room from a display token', async () => {
    const bad = await t.api('/api/v1/transit/vehicles/BUS-1/day?date=2026-02-30');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { issues: { field: string }[] }).issues.map((i) => i.field)).toEqual(['date']);
    const empty = (await (await t.api('/api/v1/transit/vehicles/BUS-1/day?date=2001-01-01')).json()) as PlaybackDay;
    expect(empty).toMatchObject({ date: '2001-01-01', from: '2000-12-31T22:00:00.000Z', to: '2001-01-01T22:00:00.000Z', truncated: false, points: [] });

    const display = (await (await t.api('/api/v1/tokens', { method: 'POST', json: { name: 'board', roles: ['display'] } })).json()) as { token: string };
    const s = io(`${t.httpUrl}/transit`, { auth: { token: display.token }, transports: ['websocket'], reconnection: false });
    try {
      await new Promise((resolve, reject) => {
        s.on('connect', () => resolve(undefined));
        s.on('connect_error', reject);
      });
      expect(await s.emitWithAck('join', { room: DISPATCH_ALERTS_ROOM })).toEqual({ ok: false, error: `forbidden: this token may not join ${DISPATCH_ALERTS_ROOM}` });
      expect(await s.emitWithAck('join', { room: 'alerts:other' })).toMatchObject({ ok: false });
      expect(await s.emitWithAck('join', { room: 'route:R1' })).toEqual({ ok: true });
    } finally {
      s.close();
    }
  });
});
