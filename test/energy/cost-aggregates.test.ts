import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceMessage } from '../../services/contracts/index.ts';
import { localMidnight } from '../../services/energy/consumption/local-time.ts';
import { startEnergyHarness, type EnergyHarness } from './harness.ts';

const TZ = 'Europe/Kyiv';
const H = 3_600_000;

/**
 * Three buildings over two weeks that hold the fall-back day (2025-10-26, 25 hours) and a month
 * boundary: electricity 1, 2 and 3 kWh an hour in school-1, school-2 and office-1, and water in
 * school-1 (0.1 m3 an hour, no tariff). Electricity costs 4 UAH/kWh until 2025-11-01, then 5.
 */
let h: EnergyHarness;
const from = localMidnight('2025-10-20', TZ);
const to = localMidnight('2025-11-03', TZ);
const hoursOct = (localMidnight('2025-11-01', TZ) - from) / H; // 12 days and the fall-back hour: 289
const hoursNov = (to - localMidnight('2025-11-01', TZ)) / H; // 48

beforeAll(async () => {
  h = await startEnergyHarness();
  await h.call('PUT', '/api/v1/energy/buildings/school-1', { name: 'Школа № 1', type: 'school', areaM2: 1000 });
  await h.call('PUT', '/api/v1/energy/buildings/school-2', { name: 'Школа № 2', type: 'school', areaM2: 2000 });
  await h.call('PUT', '/api/v1/energy/buildings/office-1', { name: 'Офіс', type: 'office', areaM2: 500 });
  const meters: [string, string, 'electricity' | 'water', 'kWh' | 'm3', number][] = [
    ['EL-S1', 'school-1', 'electricity', 'kWh', 1],
    ['EL-S2', 'school-2', 'electricity', 'kWh', 2],
    ['EL-O1', 'office-1', 'electricity', 'kWh', 3],
    ['WA-S1', 'school-1', 'water', 'm3', 0.1],
  ];
  const batch: DeviceMessage[] = [];
  for (const [id, buildingId, resource, unit, perHour] of meters) {
    await h.meter(id, { buildingId, resource, unit });
    for (let ts = from, value = 100; ts <= to; ts += H, value += perHour) batch.push({ channel: 'energy-reading', deviceId: id, ts, payload: { ts, value, unit } });
  }
  await h.pipeline.accept(batch, 'mqtt');
  h.module.flush();
}, 60_000);
afterAll(async () => {
  await h?.close();
});

describe('tariffs over REST', () => {
  it('creates, lists, replaces and deletes tariffs; refuses overlaps, wrong units and reversed dates naming the field', async () => {
    const put = await h.call('PUT', '/api/v1/energy/tariffs/el-2025', { resource: 'electricity', unit: 'kWh', priceUAH: 4, validFrom: '2025-01-01', validTo: '2025-11-01', note: 'бюджетні установи' });
    expect(put.status).toBe(201);
    expect(put.json).toMatchObject({ tariffId: 'el-2025', priceUAH: 4, validTo: '2025-11-01', updatedBy: 'token:energy-test' });
    expect((await h.call('PUT', '/api/v1/energy/tariffs/el-2025', { resource: 'electricity', unit: 'kWh', priceUAH: 4, validFrom: '2025-01-01', validTo: '2025-11-01' })).status).toBe(200);
    const overlap = await h.call('PUT', '/api/v1/energy/tariffs/el-x', { resource: 'electricity', unit: 'kWh', priceUAH: 9, validFrom: '2025-10-01' });
    expect(overlap.status).toBe(409);
    expect(overlap.json.issues[0]).toMatchObject({ field: 'validFrom' });
    expect(overlap.json.message).toContain('el-2025');
    const unit = await h.call('PUT', '/api/v1/energy/tariffs/w', { resource: 'water', unit: 'kWh', priceUAH: 30, validFrom: '2025-01-01' });
    expect(unit.status).toBe(400);
    expect(unit.json.issues.map((i: { field: string }) => i.field)).toContain('unit');
    const dates = await h.call('PUT', '/api/v1/energy/tariffs/w', { resource: 'water', unit: 'm3', priceUAH: 30, validFrom: '2025-02-01', validTo: '2025-01-01' });
    expect(dates.status).toBe(400);
    expect(dates.json.issues.map((i: { field: string }) => i.field)).toContain('validTo');
    expect((await h.call('PUT', '/api/v1/energy/tariffs/tmp', { resource: 'gas', unit: 'm3', priceUAH: 12, validFrom: '2020-01-01', validTo: '2021-01-01' })).status).toBe(201);
    expect((await h.call('DELETE', '/api/v1/energy/tariffs/tmp')).status).toBe(204);
    expect((await h.call('GET', '/api/v1/energy/tariffs/tmp')).status).toBe(404);
    expect((await h.call('PUT', '/api/v1/energy/tariffs/x', { resource: 'gas', unit: 'm3', priceUAH: 1, validFrom: '2020-01-01' }, { token: await h.token('dispatcher') })).status).toBe(403);
    expect((await h.call('PUT', '/api/v1/energy/tariffs/x', { resource: 'gas', unit: 'm3', priceUAH: 1, validFrom: '2020-01-01', validTo: '2020-02-01' }, { token: await h.token('admin') })).status).toBe(201);
    expect((await h.call('DELETE', '/api/v1/energy/tariffs/x')).status).toBe(204);
  });

  it('imports tariffs from CSV row by row: an overlap with a row before it is refused, good rows are taken', async () => {
    const csv = ['tariffId,resource,unit,priceUAH,validFrom,validTo,note', 'el-2025b,electricity,kWh,5,2025-11-01,,', 'el-bad,electricity,kWh,6,2025-12-01,,', 'heat,heat,Gcal,-1,2025-01-01,,'].join('\n');
    const res = await h.call('POST', '/api/v1/energy/tariffs/import', csv);
    expect(res.status).toBe(200);
    expect(res.json.accepted).toBe(1);
    expect(res.json.rows.map((r: { line: number; status: string; error?: string }) => [r.line, r.status, r.error?.split(':')[0]])).toEqual([
      [2, 'accepted', undefined],
      [3, 'refused', 'validFrom'],
      [4, 'refused', 'priceUAH'],
    ]);
    expect((await h.call('GET', '/api/v1/energy/tariffs?resource=electricity')).json.map((t: { tariffId: string }) => t.tariffId)).toEqual(['el-2025', 'el-2025b']);
    expect((await h.call('POST', '/api/v1/energy/tariffs/import', 'colour\nred')).json.issues[0].field).toBe('colour');
  });
});

describe('cost from the tariffs', () => {
  it('prices a meter\u2019s days and hours by the tariff of their local day', async () => {
    const days = (await h.call('GET', '/api/v1/energy/meters/EL-S2/consumption?from=2025-10-31&to=2025-11-02&interval=day')).json;
    expect(days.map((d: { value: number; costUAH: number }) => [d.value, d.costUAH])).toEqual([[48, 192], [48, 240]]);
    const hours = (await h.call('GET', '/api/v1/energy/meters/EL-S1/consumption?from=2025-10-31&to=2025-11-02&interval=hour')).json;
    expect(hours[23]).toMatchObject({ start: '2025-10-31T21:00:00.000Z', costUAH: 4 });
    expect(hours[24]).toMatchObject({ start: '2025-10-31T22:00:00.000Z', costUAH: 5 });
    // water has no tariff: no cost, not 0
    const water = (await h.call('GET', '/api/v1/energy/meters/WA-S1/consumption?from=2025-10-31&to=2025-11-01&interval=day')).json;
    expect(water[0]).toMatchObject({ value: 2.4, costUAH: null });
  });

  it('puts the cost in a building\u2019s months, the ranking and the monthly report (Вартість, грн), buildings and city', async () => {
    const months = (await h.call('GET', '/api/v1/energy/buildings/school-2/consumption?from=2025-10-20&to=2025-11-03&interval=month')).json;
    expect(months.map((m: { value: number; costUAH: number }) => [m.value, m.costUAH])).toEqual([[2 * hoursOct, 2 * hoursOct * 4], [2 * hoursNov, 2 * hoursNov * 5]]);
    const ranking = (await h.call('GET', '/api/v1/energy/ranking?from=2025-10-20&to=2025-11-03')).json as { buildingId: string; costUAH: number | null }[];
    const cost = Object.fromEntries(ranking.map((r) => [r.buildingId, r.costUAH]));
    expect(cost).toEqual({ 'school-1': null, 'school-2': 2 * (hoursOct * 4 + hoursNov * 5), 'office-1': 3 * (hoursOct * 4 + hoursNov * 5) });
    const report = (await h.call('GET', '/api/v1/energy/reports/monthly.csv?month=2025-10')).text.replace(/^\ufeff/, '').trimEnd().split('\r\n').map((l: string) => l.split(';'));
    const col = report[0]!.indexOf('Вартість, грн');
    expect(col).toBe(8);
    const num = (s: string) => Number(s.replace(',', '.'));
    expect(num(report.find((l) => l[0] === 'school-2')![col]!)).toBe(2 * hoursOct * 4);
    const city = report.filter((l) => l[1] === 'Місто (усього)');
    expect(city.map((l) => [l[4], l[col]])).toEqual([['електроенергія', String(6 * hoursOct * 4)], ['вода', '']]);
  });
});

describe('aggregates of building types and the city, from the rollups', () => {
  it('sums the city per local hour, day, month and year across the 25-hour day and the month boundary', async () => {
    const q = (interval: string, f = '2025-10-20', t = '2025-11-03') => h.call('GET', `/api/v1/energy/city/consumption?from=${f}&to=${t}&interval=${interval}&resource=electricity`);
    const fallBack = (await q('day', '2025-10-26', '2025-10-27')).json;
    expect(fallBack).toEqual([{ start: '2025-10-25T21:00:00.000Z', end: '2025-10-26T22:00:00.000Z', value: 6 * 25, unit: 'kWh', estimated: false, resource: 'electricity', costUAH: 6 * 25 * 4 }]);
    const hours = (await q('hour', '2025-10-26', '2025-10-27')).json;
    expect(hours).toHaveLength(25);
    expect(hours.every((x: { value: number }) => x.value === 6)).toBe(true);
    const months = (await q('month')).json;
    expect(months.map((m: { start: string; value: number; costUAH: number }) => [m.start, m.value, m.costUAH])).toEqual([
      ['2025-10-19T21:00:00.000Z', 6 * hoursOct, 6 * hoursOct * 4],
      ['2025-10-31T22:00:00.000Z', 6 * hoursNov, 6 * hoursNov * 5],
    ]);
    const years = (await q('year', '2025-01-01', '2027-01-01')).json;
    expect(years.map((y: { start: string; end: string; value: number | null }) => [y.start, y.end, y.value])).toEqual([
      ['2024-12-31T22:00:00.000Z', '2025-12-31T22:00:00.000Z', 6 * (hoursOct + hoursNov)],
      ['2025-12-31T22:00:00.000Z', '2026-12-31T22:00:00.000Z', null],
    ]);
    // every resource, each in its unit
    const all = (await h.call('GET', '/api/v1/energy/city/consumption?from=2025-10-21&to=2025-10-22&interval=day')).json;
    expect(all.map((x: { resource: string; unit: string; value: number }) => [x.resource, x.unit, x.value])).toEqual([['electricity', 'kWh', 144], ['water', 'm3', 2.4]]);
  });

  it('sums a building type the same way, and the sum of the types is the city', async () => {
    const school = (await h.call('GET', '/api/v1/energy/types/school/consumption?from=2025-10-26&to=2025-10-27&interval=day&resource=electricity')).json;
    expect(school[0]).toMatchObject({ value: 3 * 25, costUAH: 3 * 25 * 4, estimated: false });
    const office = (await h.call('GET', '/api/v1/energy/types/office/consumption?from=2025-10-26&to=2025-10-27&interval=day')).json;
    expect(office.map((x: { value: number }) => x.value)).toEqual([75]);
    expect((await h.call('GET', '/api/v1/energy/types/hospital/consumption?from=2025-10-26&to=2025-10-27')).json).toEqual([]);
    const breakdown = (await h.call('GET', '/api/v1/energy/types?from=2025-10-20&to=2025-11-03')).json;
    expect(breakdown).toEqual([
      { type: 'school', buildings: 2, areaM2: 3000, resource: 'electricity', unit: 'kWh', value: 3 * 337, estimated: false, costUAH: 3 * (hoursOct * 4 + hoursNov * 5), kWhPerM2: 0.337 },
      { type: 'school', buildings: 2, areaM2: 3000, resource: 'water', unit: 'm3', value: 33.7, estimated: false, costUAH: null, kWhPerM2: null },
      { type: 'office', buildings: 1, areaM2: 500, resource: 'electricity', unit: 'kWh', value: 3 * 337, estimated: false, costUAH: 3 * (hoursOct * 4 + hoursNov * 5), kWhPerM2: 2.022 },
    ]);
    const bad = await h.call('GET', '/api/v1/energy/types/castle/consumption?from=2025-10-26&to=2025-10-27');
    expect(bad.status).toBe(400);
    const reversed = await h.call('GET', '/api/v1/energy/city/consumption?from=2025-10-27&to=2025-10-26');
    expect(reversed.json.issues[0]).toEqual({ field: 'to', reason: 'must be a later date than from' });
  });

  it('marks a day estimated when one of the meters has no rollup for it', async () => {
    await h.meter('EL-S1b', { buildingId: 'school-1', resource: 'electricity', unit: 'kWh' });
    const ts = localMidnight('2025-10-22', TZ);
    await h.pipeline.accept([0, 1, 2].map((i) => ({ channel: 'energy-reading', deviceId: 'EL-S1b', ts: ts + i * H, payload: { ts: ts + i * H, value: i, unit: 'kWh' } }) as DeviceMessage), 'mqtt');
    h.module.flush();
    const days = (await h.call('GET', '/api/v1/energy/types/school/consumption?from=2025-10-21&to=2025-10-23&interval=day&resource=electricity')).json;
    expect(days.map((d: { value: number; estimated: boolean }) => [d.value, d.estimated])).toEqual([[72, true], [74, false]]);
  });
});
