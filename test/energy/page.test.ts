import { readFile } from 'node:fs/promises';
import mqtt from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../services/contracts/index.ts';
import { addDays, localDate } from '../../dashboards/energy/analysis.ts';
import { launchBrowser } from '../support/browser.ts';
import { ADMIN_TOKEN, startTestHub, type TestHub } from '../support/hub.ts';

const HOUR = 3_600_000;
const DAYS = 45;

/** An energy manager in Chromium on a real hub holding 45 days of hourly readings and temperatures. */
describe('the energy page: ranking, a building with its baseline band, anomalies, the monthly report', () => {
  let browser: Browser;
  let t: TestHub;
  let page: Page;
  const errors: string[] = [];
  const today = localDate(Date.now());

  beforeAll(async () => {
    [browser, t] = await Promise.all([launchBrowser(), startTestHub({}, { dashboards: true })]);
    const put = async (id: string, body: object) => expect((await t.api(`/api/v1/energy/buildings/${id}`, { method: 'PUT', json: body })).status).toBe(201);
    await put('school-7', { name: 'Школа № 7', type: 'school', areaM2: 1000 });
    await put('kg-2', { name: 'Садочок № 2', type: 'kindergarten', areaM2: 100 });
    await t.register({ id: 'HM-7', kind: 'energy-meter', protocol: 'mqtt', buildingId: 'school-7', resource: 'heat', unit: 'kWh' });
    await t.register({ id: 'EM-7', kind: 'energy-meter', protocol: 'mqtt', buildingId: 'school-7', resource: 'electricity', unit: 'kWh' });
    await t.register({ id: 'EM-2', kind: 'energy-meter', protocol: 'mqtt', buildingId: 'kg-2', resource: 'electricity', unit: 'kWh' });
    const ws = await t.register({ id: 'WS-7', kind: 'weather-station', protocol: 'mqtt' });

    // hourly registers: heat follows the cold (18 − T) / 2 per hour; electricity 2 kWh an hour, with one
    // hour of 40 kWh yesterday (a spike); the kindergarten 3 kWh an hour on 100 m²
    const end = Math.floor(Date.now() / HOUR) * HOUR - HOUR;
    const start = end - DAYS * 24 * HOUR;
    const temp = (ms: number) => 4 + 6 * Math.sin(Math.floor((ms - start) / (24 * HOUR)) / 3);
    // midday of yesterday (local): always a complete day, whatever the hour the test runs at
    const spikeAt = Date.parse(`${addDays(today, -1)}T10:00:00Z`);
    const rows = ['meterId,ts,value,unit'];
    let heat = 1000, elec = 5000, kg = 200;
    for (let ms = start; ms <= end; ms += HOUR) {
      rows.push(`HM-7,${new Date(ms).toISOString()},${heat.toFixed(3)},kWh`, `EM-7,${new Date(ms).toISOString()},${elec.toFixed(3)},kWh`, `EM-2,${new Date(ms).toISOString()},${kg.toFixed(3)},kWh`);
      heat += Math.max(0, (18 - temp(ms)) / 2) + ((ms / HOUR) % 7) * 0.05 * (Math.floor((ms - start) / (24 * HOUR)) % 3); // a little noise: the band has a width
      elec += ms === spikeAt ? 40 : 2;
      kg += 3;
    }
    const imported = await t.api('/api/v1/energy/readings/import', { method: 'POST', body: rows.join('\n'), headers: { 'content-type': 'text/csv' } });
    expect(imported.status).toBe(200);
    expect(((await imported.json()) as { refused: number }).refused).toBe(0);
    const station = await mqtt.connectAsync(`mqtt://127.0.0.1:${t.mqttPort}`, { username: 'WS-7', password: ws.secret, reconnectPeriod: 0 });
    try {
      for (let ms = start; ms <= end; ms += HOUR) await station.publishAsync(topics.weather('WS-7'), JSON.stringify({ ts: ms + HOUR / 2, temperatureC: temp(ms) }), { qos: 1 });
    } finally {
      await station.endAsync();
    }
    const scan = await t.api('/api/v1/energy/anomalies/scan', { method: 'POST', json: { from: addDays(today, -DAYS), to: today } });
    expect(((await scan.json()) as { found: number }).found).toBeGreaterThan(0);

    const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'uk-UA', timezoneId: 'Europe/Kyiv', acceptDownloads: true });
    await context.addInitScript((tok) => sessionStorage.setItem('mistohub.token', tok), ADMIN_TOKEN);
    page = await context.newPage();
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(msg.text());
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.stop();
  });

  it('ranks the buildings by kWh/m² and by deviation from the baseline, reached by keyboard', async () => {
    await page.goto(`${t.httpUrl}/energy/`);
    await page.focus('#tab-live');
    await page.keyboard.press('ArrowRight');
    await page.waitForSelector('#ranking tbody tr[data-id="school-7"]', { timeout: 10_000 });
    const ids = () => page.$$eval('#ranking tbody tr[data-id]', (trs) => trs.map((tr) => (tr as HTMLElement).dataset.id));
    // the kindergarten: 72 kWh a day on 100 m² is more per m² than the school
    expect(await ids()).toEqual(['kg-2', 'school-7']);
    const ranking = (await (await t.api(`/api/v1/energy/ranking?from=${addDays(today, -30)}&to=${addDays(today, 1)}`)).json()) as { buildingId: string; kWhPerM2: number }[];
    expect(await page.locator('#ranking tr[data-id="kg-2"] td').nth(4).innerText()).toContain(new Intl.NumberFormat('uk-UA', { maximumFractionDigits: 2 }).format(ranking[0]!.kWhPerM2));
    // only the school has heat and so a deviation from its baseline
    await page.selectOption('#rank-by', 'deviation');
    expect(await ids()).toEqual(['school-7', 'kg-2']);
    expect(await page.locator('#ranking tr[data-id="school-7"] td').nth(5).innerText()).toMatch(/%/);
    expect(await page.evaluate(() => (document.scrollingElement ?? document.documentElement).scrollWidth)).toBeLessThanOrEqual(1366);
  });

  it("shows a building's daily heat against a year ago with the baseline band", async () => {
    // before a building is picked its panel asks for one and shows no controls
    expect(await page.locator('#building-heading').innerText()).toBe('Оберіть будівлю в рейтингу');
    expect(await page.isVisible('#interval')).toBe(false);
    await page.click('#ranking tr[data-id="school-7"] button');
    expect(await page.isVisible('#interval')).toBe(true);
    await page.waitForSelector('#bchart[data-band="true"] canvas', { timeout: 10_000 });
    expect(await page.locator('#building-heading').innerText()).toContain('Школа № 7');
    expect(await page.getAttribute('#bchart', 'data-series')).toBe('5');
    expect(await page.locator('#bchart').innerText()).toContain('Базова лінія');
    expect(await page.locator('#baseline-msg').innerText()).toMatch(/за базовою лінією/);
    const base = (await (await t.api(`/api/v1/energy/buildings/school-7/baseline?from=${addDays(today, -30)}&to=${addDays(today, 1)}&resource=heat`)).json()) as { daily: { expected: number | null; low: number | null; high: number | null }[] };
    const day = base.daily.find((d) => d.expected !== null)!;
    expect(day.low!).toBeLessThanOrEqual(day.expected!);
    expect(day.high!).toBeGreaterThanOrEqual(day.expected!);
    await page.screenshot({ path: '/tmp/mistohub-energy-building.png' });
    // hours of the last week: no band
    await page.selectOption('#interval', 'hour');
    await page.waitForSelector('#bchart[data-band="false"] canvas', { timeout: 10_000 });
    expect(await page.getAttribute('#bchart', 'aria-label')).toContain(`${7 * 24}`);
  });

  it('a building picked with no meter of the resource shown gets the first resource it has, and says so when none', async () => {
    // the kindergarten has electricity only; heat was shown for the school
    await page.selectOption('#resource', 'heat');
    await page.click('#ranking tr[data-id="kg-2"] button');
    await page.waitForFunction(() => (document.getElementById('resource') as HTMLSelectElement).value === 'electricity', null, { timeout: 10_000 });
    await page.waitForFunction(() => /Садочок № 2: [1-9]\d* інтервалів/.test(document.getElementById('bchart')?.getAttribute('aria-label') ?? ''), null, { timeout: 10_000 });
    expect(await page.locator('#building-heading').innerText()).toContain('Садочок № 2');
    expect(await page.locator('#baseline-msg').innerText()).not.toContain('немає даних');
    // chosen by the operator, a resource it has no meter of stays, and the page says why the chart is empty
    await page.selectOption('#resource', 'gas');
    await page.waitForFunction(() => /газ/.test(document.getElementById('baseline-msg')?.textContent ?? ''), null, { timeout: 10_000 });
    expect(await page.locator('#baseline-msg').innerText()).toBe('За цей період немає даних: газ (у будівлі може не бути такого лічильника).');
    expect(await page.inputValue('#resource')).toBe('gas');
  });

  it('acknowledges an anomaly and downloads the monthly report', async () => {
    await page.click('#tab-anomalies');
    const row = page.locator('#anomalies tbody tr[data-state="new"]', { hasText: 'EM-7' }).first();
    await row.waitFor({ timeout: 10_000 });
    const id = await row.getAttribute('data-id');
    await row.locator('button.ack').click();
    await page.waitForSelector(`#anomalies tr[data-id="${id}"][data-state="acknowledged"]`, { timeout: 5_000 });
    expect(await page.locator(`#anomalies tr[data-id="${id}"]`).innerText()).toContain('підтверджена: admin');
    const stored = (await (await t.api('/api/v1/energy/anomalies?state=acknowledged')).json()) as { id: number; updatedBy: string }[];
    expect(stored.find((a) => String(a.id) === id)?.updatedBy).toBe('admin');

    const month = today.slice(0, 7);
    await page.fill('#report-month', month);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#report-download')]);
    expect(download.suggestedFilename()).toBe(`energy-report-${month}.csv`);
    const csv = await readFile((await download.path())!, 'utf8');
    expect(csv.startsWith('\uFEFF')).toBe(true);
    expect(csv).toContain('Школа № 7');
    expect(await page.locator('#report-msg').innerText()).toContain(month);
    await page.screenshot({ path: '/tmp/mistohub-energy-anomalies.png' });
    expect(errors).toEqual([]);
  });

  it('shows the building types and the tariffs; a manager adds a tariff with the keyboard and the cost appears', async () => {
    await page.focus('#tab-anomalies');
    await page.keyboard.press('ArrowRight');
    expect(await page.getAttribute('#tab-costs', 'aria-selected')).toBe('true');
    await page.waitForSelector('#types tbody tr[data-type="school"][data-resource="heat"]', { timeout: 10_000 });
    expect(await page.locator('#tariffs tbody').innerText()).toContain('Тарифів немає');
    // the kindergarten is a type of its own; no tariff yet: no cost
    const kgRow = page.locator('#types tr[data-type="kindergarten"][data-resource="electricity"] td');
    expect(await kgRow.nth(0).innerText()).toBe('садочок');
    expect(await kgRow.nth(6).innerText()).toBe('—');

    await page.focus('#tariff-id');
    await page.keyboard.type('el-2020');
    await page.keyboard.press('Tab'); // resource: electricity
    await page.keyboard.press('Tab'); // unit: kWh
    await page.keyboard.press('Tab');
    await page.keyboard.type('4.5');
    await page.fill('#tariff-from', '2020-01-01');
    await page.focus('#tariff-price');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#tariffs tr[data-id="el-2020"]', { timeout: 5_000 });
    expect(await page.locator('#tariff-msg').innerText()).toContain('el-2020');
    expect(await page.locator('#tariffs tr[data-id="el-2020"]').innerText()).toContain('безстроково');
    const from = addDays(today, -30);
    const to = addDays(today, 1);
    const types = (await (await t.api(`/api/v1/energy/types?from=${from}&to=${to}`)).json()) as { type: string; resource: string; value: number; costUAH: number | null }[];
    const kg = types.find((x) => x.type === 'kindergarten' && x.resource === 'electricity')!;
    expect(kg.costUAH).toBeCloseTo(kg.value * 4.5, 1);
    const fmt = new Intl.NumberFormat('uk-UA', { maximumFractionDigits: 2 }).format(kg.costUAH!);
    await page.waitForFunction((text) => document.querySelectorAll('#types tr[data-type="kindergarten"][data-resource="electricity"] td')[6]?.textContent === text, fmt, { timeout: 5_000 });
    // heat has no tariff: still no cost
    expect(await page.locator('#types tr[data-type="school"][data-resource="heat"] td').nth(6).innerText()).toBe('—');

    // an overlapping tariff is refused with the server's reason
    await page.fill('#tariff-id', 'el-x');
    await page.fill('#tariff-from', '2024-01-01');
    await page.click('#tariff-save');
    await page.waitForSelector('#tariff-msg.error', { timeout: 5_000 });
    expect(await page.locator('#tariff-msg').innerText()).toContain('el-2020');

    // the ranking shows the cost of the kindergarten (electricity only) now
    await page.click('#tab-buildings');
    const ranking = (await (await t.api(`/api/v1/energy/ranking?from=${from}&to=${to}`)).json()) as { buildingId: string; costUAH: number | null }[];
    const kgCost = new Intl.NumberFormat('uk-UA', { maximumFractionDigits: 2 }).format(ranking.find((r) => r.buildingId === 'kg-2')!.costUAH!);
    await page.waitForFunction((text) => document.querySelectorAll('#ranking tr[data-id="kg-2"] td')[6]?.textContent === text, kgCost, { timeout: 10_000 });
    expect(await page.locator('#ranking thead').innerText()).toContain('Вартість, грн');
    expect(await page.evaluate(() => (document.scrollingElement ?? document.documentElement).scrollWidth)).toBeLessThanOrEqual(1366);
    await page.click('#tab-costs');
    await page.screenshot({ path: '/tmp/mistohub-energy-costs.png' });
    expect(errors.filter((e) => !e.includes('409'))).toEqual([]);
  });
  it('a manager turns the electricity tariff into a two-zone one on the page, errors under the fields they name, and the building\'s month cost changes by zone', async () => {
    const month = addDays(today, -20).slice(0, 7);
    type Cost = { resources: { resource: string; costUAH: number | null; zones: { zone: string | null; value: number; costUAH: number }[] }[] };
    const costOf = async () => ((await (await t.api(`/api/v1/energy/buildings/school-7/cost?month=${month}`)).json()) as Cost).resources.find((r) => r.resource === 'electricity')!;
    const uah = (v: number) => new Intl.NumberFormat('uk-UA', { maximumFractionDigits: 2 }).format(v);
    const cellOf = (zone: string, i: number) => page.locator(`#building-cost tr[data-resource="electricity"][data-zone="${zone}"] td`).nth(i);

    // before: one price all month
    await page.click('#tab-buildings');
    await page.click('#ranking tr[data-id="school-7"] button');
    await page.fill('#cost-month', month);
    await page.waitForSelector(`#building-cost[data-month="${month}"] tr[data-resource="electricity"][data-zone="flat"]`, { timeout: 10_000 });
    const flat = await costOf();
    expect(flat.zones.map((z) => z.zone)).toEqual([null]);
    expect(await cellOf('total', 3).innerText()).toBe(uah(flat.costUAH!));

    // the tariff's «Змінити», then the regulator's two zones
    await page.click('#tab-costs');
    await page.focus('#tariffs tr[data-id="el-2020"] button.edit');
    await page.keyboard.press('Enter');
    expect(await page.inputValue('#tariff-id')).toBe('el-2020');
    expect(await page.isHidden('#zone-rows')).toBe(true);
    await page.selectOption('#tariff-zoning', 'two-zone');
    expect(await page.inputValue('#zone-0-hours')).toBe('23:00-07:00');
    expect(await page.locator('#zone-rows tbody tr').nth(0).locator('td').nth(3).innerText()).toBe(uah(2.25));

    // a malformed range is caught on the page, under the zone's hours
    await page.fill('#zone-1-hours', 'з ранку до вечора');
    await page.focus('#tariff-price');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => (document.getElementById('zone-1-hours-error')?.textContent ?? '').includes('23:00-07:00'), undefined, { timeout: 5_000 });
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('zone-1-hours');
    // hours already in the night zone: the server's refusal lands under the same field
    await page.fill('#zone-1-hours', '06:00-23:00');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => (document.getElementById('zone-1-hours-error')?.textContent ?? '').includes('06:00'), undefined, { timeout: 5_000 });
    expect(await page.locator('#zone-1-hours-error').innerText()).toContain('night');
    expect(await page.locator('#tariff-zones-error').innerText()).toBe('');
    expect(await page.getAttribute('#tariff-zoning', 'aria-describedby')).toBe('tariff-zones-error');

    await page.fill('#zone-1-hours', '07:00-23:00');
    expect(await page.inputValue('#tariff-zoning')).toBe('two-zone');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#tariffs tr[data-id="el-2020"] .zones-line', { timeout: 5_000 });
    expect(await page.locator('#zone-1-hours-error').innerText()).toBe('');
    expect(await page.locator('#tariffs tr[data-id="el-2020"] .zones-line').innerText()).toContain('ніч 23:00-07:00');
    const kept = (await (await t.api('/api/v1/energy/tariffs/el-2020')).json()) as { zones: { zone: string; priceUAH: number }[] };
    expect(kept.zones.map((z) => [z.zone, z.priceUAH])).toEqual([['night', 2.25], ['day', 4.5]]);

    // after: the month's cost by zone, cheaper by the night hours at half price
    await page.click('#tab-buildings');
    await page.waitForSelector(`#building-cost[data-month="${month}"] tr[data-resource="electricity"][data-zone="night"]`, { timeout: 10_000 });
    const zoned = await costOf();
    expect(zoned.costUAH!).toBeLessThan(flat.costUAH!);
    const night = zoned.zones.find((z) => z.zone === 'night')!;
    expect(night.costUAH).toBeCloseTo(night.value * 2.25, 2);
    expect(await cellOf('night', 1).innerText()).toBe('ніч');
    expect(await cellOf('night', 3).innerText()).toBe(uah(night.costUAH));
    expect(await cellOf('total', 3).innerText()).toBe(uah(zoned.costUAH!));
    await page.screenshot({ path: '/tmp/mistohub-energy-zone-cost.png' });
    await page.click('#tab-costs');
    expect(await page.locator('#tariffs tr[data-id="el-2020"]').isVisible()).toBe(true);
    await page.screenshot({ path: '/tmp/mistohub-energy-zones.png' });
    expect(await page.evaluate(() => (document.scrollingElement ?? document.documentElement).scrollWidth)).toBeLessThanOrEqual(1366);
    expect(errors.filter((e) => !e.includes('409') && !e.includes('400'))).toEqual([]);
  });
});
