import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceMessage } from '../../services/contracts/index.ts';
import { localIntervals } from '../../services/energy/consumption/local-time.ts';
import { GAS_KWH_PER_M3 } from '../../services/energy/baseline/indicators.ts';
import { startEnergyHarness, type EnergyHarness } from './harness.ts';

const TZ = 'Europe/Kyiv';
const H = 3_600_000;

/**
 * Thirteen months of a school's heat: outdoor temperature one value a day (a seasonal curve with
 * a little deterministic wobble), heat per day = 40 + 12.5 × HDD in the baseline year and 10 %
 * more in January 2026 (a valve left open). Readings every hour, temperatures every hour.
 */
let h: EnergyHarness;
const dayTemps = new Map<number, number>();
beforeAll(async () => {
  h = await startEnergyHarness();
  await h.call('PUT', '/api/v1/energy/buildings/school-5', { name: 'Школа № 5', type: 'school', areaM2: 2000 });
  await h.call('PUT', '/api/v1/energy/buildings/office-1', { name: 'Офіс', type: 'office', areaM2: 500 });
  await h.meter('HM-5', { buildingId: 'school-5', resource: 'heat', unit: 'kWh' });
  await h.meter('GM-1', { buildingId: 'office-1', resource: 'gas', unit: 'm3' });
  await h.devices.create({ id: 'WS-1', kind: 'weather-station', protocol: 'mqtt' }, 'test');
  const days = localIntervals('2025-01-01', '2026-02-01', 'day', TZ);
  let register = 1000;
  let gas = 0;
  let batch: DeviceMessage[] = [];
  const push = async (m: DeviceMessage) => {
    batch.push(m);
    if (batch.length >= 2000) {
      await h.pipeline.accept(batch, 'mqtt');
      h.module.flush();
      batch = [];
    }
  };
  for (const [i, d] of days.entries()) {
    const t = 9 - 13 * Math.cos((2 * Math.PI * (i - 15)) / 365) + ((i * 7919) % 11) / 5 - 1;
    dayTemps.set(d.start, t);
    const hdd = Math.max(0, 18 - t);
    const waste = d.start >= Date.parse('2025-12-31T22:00:00Z') ? 1.1 : 1;
    const perHour = ((40 + 12.5 * hdd) * waste) / ((d.end - d.start) / H);
    for (let ts = d.start; ts < d.end; ts += H) {
      await push({ channel: 'energy-reading', deviceId: 'HM-5', ts, payload: { ts, value: register, unit: 'kWh' } });
      await push({ channel: 'weather', deviceId: 'WS-1', ts: ts + H / 2, payload: { ts: ts + H / 2, temperatureC: t } });
      if (i >= days.length - 31) await push({ channel: 'energy-reading', deviceId: 'GM-1', ts, payload: { ts, value: gas, unit: 'm3' } });
      register += perHour;
      gas += 1;
    }
  }
  const end = days[days.length - 1]!.end;
  await push({ channel: 'energy-reading', deviceId: 'HM-5', ts: end, payload: { ts: end, value: register, unit: 'kWh' } });
  await push({ channel: 'energy-reading', deviceId: 'GM-1', ts: end, payload: { ts: end, value: gas, unit: 'm3' } });
  await h.pipeline.accept(batch, 'mqtt');
  h.module.flush();
}, 120_000);
afterAll(async () => {
  await h?.close();
});

describe('degree-day baseline of a building', () => {
  it('recovers the coefficients of the year before, and puts January 2026 10 % above it', async () => {
    const res = await h.call('GET', '/api/v1/energy/buildings/school-5/baseline?from=2026-01-01&to=2026-02-01&resource=heat');
    expect(res.status).toBe(200);
    const r = res.json;
    expect(r.model).toMatchObject({ from: '2025-01-01', to: '2026-01-01', days: 365, sufficient: true, reasons: [] });
    expect(r.model.baseload).toBeCloseTo(40, 3);
    expect(r.model.perHdd).toBeCloseTo(12.5, 4);
    expect(r.model.r2).toBeCloseTo(1, 4);
    expect(r.period).toMatchObject({ days: 31, daysWithTemperature: 31, estimated: false });
    expect(r.period.deviationPct).toBeCloseTo(10, 2);
    expect(r.period.actual).toBeCloseTo(r.period.expected * 1.1, 2);
    expect(r.lastYear).toMatchObject({ from: '2025-01-01', to: '2025-02-01', days: 31 });
    expect(r.lastYear.changePct).toBeCloseTo((r.period.actual / r.lastYear.actual - 1) * 100, 2);
    expect(r.perM2).toBeCloseTo(r.period.actual / 2000, 3);
    expect(r.unit).toBe('kWh');
  });

  it('HDD use the base asked for; a baseline on too little data says why', async () => {
    const base15 = (await h.call('GET', '/api/v1/energy/buildings/school-5/baseline?from=2026-01-01&to=2026-01-02&baseC=15')).json;
    const t = dayTemps.get(Date.parse('2025-12-31T22:00:00Z'))!;
    expect(base15.period.hdd).toBeCloseTo(Math.max(0, 15 - t), 3);
    const short = (await h.call('GET', '/api/v1/energy/buildings/school-5/baseline?from=2025-02-01&to=2025-03-01')).json;
    expect(short.model.sufficient).toBe(false);
    expect(short.model.reasons[0]).toMatch(/^31 days with both consumption and temperature/);
    const bad = await h.call('GET', '/api/v1/energy/buildings/school-5/baseline?from=2026-01-01&to=2026-02-01&baseC=99');
    expect(bad.status).toBe(400);
    expect(bad.json.issues[0].field).toBe('baseC');
  });
});

describe('ranking', () => {
  it('orders buildings by energy per m², gas counted in kWh', async () => {
    const res = await h.call('GET', '/api/v1/energy/ranking?from=2026-01-01&to=2026-02-01');
    expect(res.status).toBe(200);
    const [first, second] = res.json;
    // The office burns 744 m3 of gas in January (1 m3 an hour) on 500 m².
    expect(first).toMatchObject({ buildingId: 'office-1', waterM3: null, estimated: false });
    expect(first.energyKWh).toBeCloseTo(744 * GAS_KWH_PER_M3, 3);
    expect(first.kWhPerM2).toBeCloseTo((744 * GAS_KWH_PER_M3) / 500, 3);
    expect(second.buildingId).toBe('school-5');
    expect(second.kWhPerM2).toBeLessThan(first.kWhPerM2);
  });
});

describe('monthly report and open data', () => {
  it('the report opens in Excel as Ukrainian offices run it: BOM, Ukrainian headers, `;`, decimal comma; buildings, then the city', async () => {
    const res = await h.call('GET', '/api/v1/energy/reports/monthly.csv?month=2026-01');
    expect(res.status).toBe(200);
    const raw = await h.app.inject({ method: 'GET', url: '/api/v1/energy/reports/monthly.csv?month=2026-01', headers: { authorization: `Bearer ${await h.token('energy')}` } });
    expect(raw.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(raw.headers['content-disposition']).toBe('attachment; filename="energy-report-2026-01.csv"');
    expect(raw.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const lines = res.text.replace(/^\ufeff/, '').trimEnd().split('\r\n').map((l: string) => l.split(';'));
    expect(lines[0]!.slice(0, 8)).toEqual(['Код будівлі', 'Назва', 'Тип', 'Опалювана площа, м²', 'Ресурс', 'Одиниця', 'Спожито за місяць', 'Є оцінені дані']);
    const col = (name: string) => lines[0]!.indexOf(name);
    const num = (s: string) => Number(s.replace(',', '.'));
    const school = lines.find((l: string[]) => l[0] === 'school-5')!;
    expect(school.slice(1, 6)).toEqual(['Школа № 5', 'школа', '2000', 'теплова енергія', 'кВт·год']);
    expect(school[col('Є оцінені дані')]).toBe('ні');
    expect(num(school[col('Відхилення від базової лінії, %')]!)).toBeCloseTo(10, 1);
    expect(school[col('Спожито за місяць')]).toMatch(/^\d+,\d+$/);
    const office = lines.find((l: string[]) => l[0] === 'office-1')!;
    expect(office.slice(4, 6)).toEqual(['природний газ', 'м³']);
    expect(num(office[col('Спожито за місяць')]!)).toBe(744);
    expect(num(office[col('Аномалій за місяць')]!)).toBe(0);
    const city = lines.filter((l: string[]) => l[1] === 'Місто (усього)');
    expect(city.map((l: string[]) => l[4])).toEqual(['природний газ', 'теплова енергія']);
    const one = await h.call('GET', '/api/v1/energy/reports/monthly.csv?month=2026-01&buildingId=office-1');
    expect(one.text.trimEnd().split('\r\n')).toHaveLength(2);
    expect((await h.call('GET', '/api/v1/energy/reports/monthly.csv?month=2026-13')).json.issues[0].field).toBe('month');
    expect((await h.call('GET', '/api/v1/energy/reports/monthly.csv?month=2026-01', undefined, { token: 'nope' })).status).toBe(401);
  });

  it('the monthly consumption of every building is open data, CSV and JSON, with no token', async () => {
    const json = await h.app.inject({ method: 'GET', url: '/open-data/energy/monthly.json?year=2025' });
    expect(json.statusCode).toBe(200);
    const rows = json.json() as { buildingId: string; month: string; value: number; unit: string }[];
    expect(rows.filter((r) => r.buildingId === 'school-5').map((r) => r.month)).toEqual(Array.from({ length: 12 }, (_, i) => `2025-${String(i + 1).padStart(2, '0')}`));
    const csv = await h.app.inject({ method: 'GET', url: '/open-data/energy/monthly.csv?year=2026' });
    const lines = csv.body.trimEnd().split('\r\n');
    expect(lines[0]).toBe('buildingId,name,type,areaM2,month,resource,unit,value,estimated,costUAH');
    // no gas tariff: the cost is empty, not 0
    expect(lines).toContain('office-1,Офіс,office,500,2026-01,gas,m3,744,false,');
    expect((await h.app.inject({ method: 'GET', url: '/open-data/energy/monthly.json?year=abc' })).statusCode).toBe(400);
  });
});

describe('anomalies against the baseline', () => {
  it('a month 10 % above its baseline is no anomaly (the rule is 30 % on a day); the meters gone quiet since are', async () => {
    const scan = await h.call('POST', '/api/v1/energy/anomalies/scan', { from: '2026-01-01', to: '2026-02-01' });
    expect(scan.status).toBe(200);
    const kinds = ((await h.call('GET', '/api/v1/energy/anomalies')).json as { kind: string; meterId: string }[]).map((a) => `${a.meterId} ${a.kind}`).sort();
    // The harness runs on the real clock: the readings of January 2026 are old by now.
    expect(kinds).toEqual(['GM-1 silent', 'HM-5 silent']);
  });
});
