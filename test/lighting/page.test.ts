import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LightingSchedule } from '../../services/contracts/index.ts';
import { lightingDomainWith } from '../../services/lighting/module.ts';
import { zoneOf } from '../../services/lighting/schedule/local-time.ts';
import { plan } from '../../services/lighting/schedule/plan.ts';
import { launchBrowser } from '../support/browser.ts';
import { ADMIN_TOKEN, startTestHub, type TestHub } from '../support/hub.ts';
import { connectCabinet, type TestCabinet } from './cabinet-client.ts';
import { tonight } from '../../dashboards/lighting/dispatch.ts';
import { cityDate, energyRange } from '../../dashboards/lighting/energy.ts';

const CITY = { lat: 48.5079, lon: 32.2623 };
const hm = (iso: string) => new Intl.DateTimeFormat('uk-UA', { hour: '2-digit', minute: '2-digit', timeZone: 'Europe/Kyiv', hourCycle: 'h23' }).format(new Date(iso));

/** An operator in Chromium on the real hub, a real MQTT cabinet that does what it is told. */
describe('the lighting page: schedule, override, commands, faults', () => {
  let browser: Browser;
  let t: TestHub;
  let cabinet: TestCabinet;
  let page: Page;
  const errors: string[] = [];
  let voltage = 230;

  beforeAll(async () => {
    [browser, t] = await Promise.all([launchBrowser(), startTestHub({}, { dashboards: true, domains: [lightingDomainWith({ tickMs: 200 })] })]);
    const { secret } = await t.register({ id: 'cab-ui', kind: 'lighting-controller', protocol: 'mqtt', name: 'Шафа 7', lat: 48.51, lon: 32.26 });
    expect((await t.api('/api/v1/lighting/groups/centre', { method: 'PUT', json: { name: 'Центр', controllerIds: ['cab-ui'] } })).status).toBe(200);
    cabinet = await connectCabinet(t.mqttPort, 'cab-ui', secret);
    // a cabinet that applies every command, acknowledges it and reports its new level
    cabinet.client.on('message', () => {
      const cmd = cabinet.received.at(-1)!;
      const level = cmd.action === 'set-level' ? cmd.level ?? 0 : cmd.action === 'off' ? 0 : 100;
      void cabinet.ack(cmd.cmdId).then(() => cabinet.client.publishAsync(`v1/lighting/cab-ui/state`, JSON.stringify({ ts: new Date().toISOString(), level, on: level > 0, voltageV: voltage }), { qos: 1 }));
    });
    await cabinet.reportState(0);
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'uk-UA', timezoneId: 'Europe/Kyiv' });
    await context.addInitScript((tok) => sessionStorage.setItem('mistohub.token', tok), ADMIN_TOKEN);
    page = await context.newPage();
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });
  });
  afterAll(async () => {
    await cabinet?.close();
    await browser?.close();
    await t?.stop();
  });

  it('an operator edits a schedule and sees tonight\'s timeline', async () => {
    await page.goto(`${t.httpUrl}/lighting/`);
    await page.waitForSelector('tr[data-id="cab-ui"]', { timeout: 10_000 });
    // keyboard: the tab strip is reached and switched with the arrow keys
    await page.focus('#tab-live');
    await page.keyboard.press('ArrowRight');
    await page.waitForSelector('#dispatch:not([hidden])', { timeout: 5_000 });
    await page.waitForSelector('#sched-group option[value="centre"]', { state: 'attached', timeout: 5_000 });
    await page.waitForFunction(() => document.querySelector('#sched-msg')?.textContent?.includes('немає графіка'), null, { timeout: 5_000 });

    await page.selectOption('#on-event', 'sunset');
    await page.fill('#on-offset', '15');
    await page.selectOption('#off-event', 'sunrise');
    await page.fill('#off-offset', '-20');
    await page.fill('#steps', '23:00 50, 05:00 100');
    await page.click('#sched-save');
    await page.waitForFunction(() => document.querySelector('#sched-msg')?.textContent === 'Графік збережено', null, { timeout: 5_000 });

    const typed = LightingSchedule.parse({ on: { event: 'sunset', offsetMin: 15 }, off: { event: 'sunrise', offsetMin: -20 }, steps: [{ from: '23:00', level: 50 }, { from: '05:00', level: 100 }] });
    const saved = await (await t.api('/api/v1/lighting/groups/centre/schedule')).json();
    expect(saved).toEqual(typed);
    const date = tonight(Date.now());
    const [entry] = plan(typed, date, new Date(Date.parse(`${date}T12:00:00Z`) + 86_400_000).toISOString().slice(0, 10), CITY, zoneOf('Europe/Kyiv'));
    await page.waitForFunction((n) => document.querySelectorAll('#timeline .seg').length === n, entry!.steps.length, { timeout: 5_000 });
    const list = await page.locator('#timeline-list').innerText();
    expect(list).toContain(`${hm(entry!.on!)} увімкнення`);
    expect(list).toContain(`${hm(entry!.off!)} вимкнення`);
    expect(await page.locator('#timeline-heading').innerText()).toContain(date);

    // preview before saving: a fixed switch-on shows at once, nothing is stored
    await page.selectOption('#on-event', 'time');
    await page.fill('#on-time', '19:30');
    await page.click('#sched-preview');
    await page.waitForFunction(() => document.querySelector('#timeline-list')?.textContent?.includes('19:30 увімкнення'), null, { timeout: 5_000 });
    expect(await (await t.api('/api/v1/lighting/groups/centre/schedule')).json()).toEqual(typed);
  });

  it('sets an override with an expiry and sees the cabinet\'s reported level follow; commands show their state', async () => {
    await page.selectOption('#ovr-target', 'cabinet:cab-ui');
    await page.fill('#ovr-level', '35');
    await page.fill('#ovr-duration', '30');
    await page.click('#ovr-submit');
    await page.waitForSelector('#overrides li[data-id]');
    expect(await page.locator('#overrides li[data-id]').innerText()).toMatch(/шафа cab-ui: 35 %/);
    await page.waitForFunction(() => [...document.querySelectorAll('#commands tbody tr')].some((r) => r.textContent?.includes('рівень 35 %') && (r as HTMLElement).dataset.state === 'acknowledged'), null, { timeout: 10_000 });
    await page.click('#tab-live');
    await page.waitForFunction(() => /35\s*%/.test(document.querySelector('tr[data-id="cab-ui"]')?.textContent ?? ''), null, { timeout: 10_000 });
    await page.screenshot({ path: '/tmp/mistohub-lighting-live.png' });

    // end it: back to the schedule
    await page.click('#tab-dispatch');
    await page.click('#overrides li[data-id] button');
    await page.waitForFunction(() => document.querySelector('#overrides')?.textContent?.includes('Немає діючих'));
  });

  it('a fault is shown and acknowledged; the page speaks English too', async () => {
    voltage = 270;
    await cabinet.client.publishAsync('v1/lighting/cab-ui/state', JSON.stringify({ ts: new Date().toISOString(), level: 35, on: true, voltageV: 270 }), { qos: 1 });
    await page.waitForSelector('#fault-list tbody tr[data-id] button', { timeout: 10_000 });
    expect(await page.locator('#fault-list tbody tr[data-id]').innerText()).toContain('напруга поза межами');
    await page.click('#fault-list tbody tr[data-id] button');
    await page.waitForFunction(() => document.querySelector('#fault-list tbody tr[data-id]')?.textContent?.includes('підтверджено: admin'));
    await page.screenshot({ path: '/tmp/mistohub-lighting-dispatch.png' });

    await page.click('#lang-toggle');
    expect(await page.locator('#tab-dispatch').innerText()).toBe('Control');
    await page.waitForFunction(() => document.querySelector('#fault-list tbody tr[data-id]')?.textContent?.includes('acknowledged: admin'));
    expect(errors).toEqual([]);
  });

  it('the energy tab shows each day\'s energy and saving as the REST endpoint gives them, in both languages', async () => {
    // Yesterday evening (local) the cabinet burned at 50 % for three hours: its register rose by 1.5 kWh.
    const base = Date.parse(`${cityDate(Date.now() - 86_400_000)}T18:00:00+02:00`);
    for (let i = 0; i <= 12; i++) {
      await cabinet.client.publishAsync('v1/lighting/cab-ui/state', JSON.stringify({
        ts: new Date(base + i * 15 * 60_000).toISOString(), level: 50, on: true, powerW: 500, energyKWh: 100 + i * 0.125, voltageV: 230,
      }), { qos: 1 });
    }
    const { from, to } = energyRange('day', Date.now());
    type Row = { start: string; kWh: number; fullPowerKWh: number; savedKWh: number };
    let rest: Row[] = [];
    const fetchDays = async () => (await (await t.api(`/api/v1/lighting/energy?groupId=centre&from=${from}&to=${to}&interval=day`)).json()) as Row[];
    // The history writer stores the states a moment after they are acknowledged: wait for all 13,
    // or the page could be drawn from more of them than the REST answer compared with it. All in:
    // 1.5 kWh of register rises, plus the first slot's, which has no register reading before it and
    // counts its mean power × 15 min (0.125 kWh; services/lighting/energy/energy.ts).
    await expect.poll(async () => (await fetchDays()).reduce((s, r) => s + r.kWh, 0), { timeout: 15_000 }).toBeGreaterThan(1.624);
    rest = await fetchDays();
    expect(rest).toHaveLength(30);

    await page.click('#tab-energy');
    await page.waitForSelector('#energy-view:not([hidden])');
    expect(await page.locator('#tab-energy').innerText()).toBe('Energy');
    await page.waitForSelector('#energy-target option[value="group:centre"]', { state: 'attached', timeout: 5_000 });
    await page.waitForFunction(() => document.querySelectorAll('#energy-table tbody tr').length === 30, null, { timeout: 10_000 });
    const shown = await page.$$eval('#energy-table tbody tr', (trs) => trs.map((tr) => ({
      start: (tr as HTMLElement).dataset.start, values: [...tr.querySelectorAll('td[data-value]')].map((td) => Number((td as HTMLElement).dataset.value)), text: tr.textContent,
    })));
    expect(shown.map((r) => r.start)).toEqual(rest.map((r) => r.start));
    for (const [i, r] of rest.entries()) {
      expect(shown[i]!.values.slice(0, 3)).toEqual([r.kWh, r.fullPowerKWh, r.savedKWh]);
      expect(shown[i]!.text).toContain(r.kWh.toLocaleString('en', { minimumFractionDigits: 1, maximumFractionDigits: 1 }));
    }
    const day = rest.find((r) => r.kWh > 0)!;
    expect(day.savedKWh).toBeGreaterThan(0);
    // the chart's bars carry the same figures: used below, saved on top
    const bar = await page.$eval(`#energy-chart g[data-start="${day.start}"]`, (g) => [...g.querySelectorAll('rect')].map((r) => Number(r.getAttribute('data-kwh'))));
    expect(bar).toEqual([day.kWh, day.savedKWh]);
    expect(await page.locator('#energy-chart').getAttribute('aria-label')).toContain('kWh used');

    // keyboard: the interval is chosen with the keys alone
    await page.focus('#energy-interval');
    await page.keyboard.press('ArrowDown');
    await page.waitForFunction(() => document.querySelectorAll('#energy-table tbody tr').length === 12, null, { timeout: 10_000 });
    const months = energyRange('month', Date.now());
    const restMonths = (await (await t.api(`/api/v1/lighting/energy?groupId=centre&from=${months.from}&to=${months.to}&interval=month`)).json()) as Row[];
    const total = await page.$eval('#energy-table tfoot td[data-value]', (td) => Number((td as HTMLElement).dataset.value));
    expect(total).toBeCloseTo(restMonths.reduce((s, r) => s + r.kWh, 0), 6);

    await page.click('#lang-toggle');
    expect(await page.locator('#tab-energy').innerText()).toBe('Енергія');
    // The chart is written again in the new language on the toggle's event, not within the click.
    await expect.poll(() => page.locator('#energy-chart').getAttribute('aria-label'), { timeout: 10_000 }).toContain('кВт·год');
    await page.waitForFunction(() => document.querySelector('#energy-target option[value="group:centre"]')?.textContent?.startsWith('група centre'));
    await page.screenshot({ path: '/tmp/mistohub-lighting-energy.png' });
    expect(errors).toEqual([]);
  });
});
