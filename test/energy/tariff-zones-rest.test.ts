/**
 * Time-of-day tariffs over REST, on the embedded store and on a real InfluxDB: the contract
 * (create, list, refusals naming the field, the CSV import row by row), and the cost of days,
 * months, the city, a building by zone, the monthly report and the open data set, across the
 * 25-hour day (2025-10-26) and the October/November boundary; then the same after the rollups are
 * rebuilt from the history store.
 *
 * school-1: electricity 1 kWh an hour and water 0.1 m3 an hour (no tariff); school-2: electricity
 * 2 kWh an hour; from local midnight 2025-10-20 to 2025-11-03. Electricity is first 4 UAH/kWh flat
 * from 2025-01-01, then flat until 2025-10-25 and two-zone from then until 2026:
 * night 23:00–07:00 × 0.5 (2 UAH), day × 1 (4 UAH).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceMessage } from '../../services/contracts/index.ts';
import { localMidnight } from '../../services/energy/consumption/local-time.ts';
import { InfluxHistoryStore } from '../../services/store/influx-store.ts';
import { startInfluxd, type RunningInfluxd } from '../support/influxd.ts';
import { startEnergyHarness, type EnergyHarness } from './harness.ts';

const TZ = 'Europe/Kyiv';
const H = 3_600_000;
const from = localMidnight('2025-10-20', TZ);
const to = localMidnight('2025-11-03', TZ);
const TWO_ZONE = [
  { zone: 'night', hours: [{ from: '23:00', to: '07:00' }], coefficient: 0.5 },
  { zone: 'day', hours: [{ from: '07:00', to: '23:00' }], coefficient: 1 },
];
/** 1 kWh an hour: 20–24 Oct flat (5 × 96), 25 Oct 8 × 2 + 16 × 4 = 80, the 25-hour 26 Oct 9 × 2 + 16 × 4 = 82, 27–31 Oct 5 × 80 */
const OCT = 5 * 96 + 80 + 82 + 5 * 80;
const NOV = 2 * 80;

async function loaded(h: EnergyHarness): Promise<number> {
  await h.call('PUT', '/api/v1/energy/buildings/school-1', { name: 'Школа № 1', type: 'school', areaM2: 1000 });
  await h.call('PUT', '/api/v1/energy/buildings/school-2', { name: 'Школа № 2', type: 'school', areaM2: 2000 });
  const meters: [string, string, 'electricity' | 'water', 'kWh' | 'm3', number][] = [
    ['EL-1', 'school-1', 'electricity', 'kWh', 1],
    ['WA-1', 'school-1', 'water', 'm3', 0.1],
    ['EL-2', 'school-2', 'electricity', 'kWh', 2],
  ];
  const batch: DeviceMessage[] = [];
  for (const [id, buildingId, resource, unit, perHour] of meters) {
    await h.meter(id, { buildingId, resource, unit });
    for (let ts = from, value = 100; ts <= to; ts += H, value += perHour) batch.push({ channel: 'energy-reading', deviceId: id, ts, payload: { ts, value: Math.round(value * 10) / 10, unit } });
  }
  await h.pipeline.accept(batch, 'mqtt');
  h.module.flush();
  await h.stored(batch.length);
  return batch.length;
}

const runs: { name: string; h?: EnergyHarness }[] = [{ name: 'embedded store' }, { name: 'InfluxDB' }];
let influx: RunningInfluxd | undefined;

beforeAll(async () => {
  runs[0]!.h = await startEnergyHarness();
  influx = await startInfluxd();
  const store = new InfluxHistoryStore({ url: influx.url, database: 'energy_tariff_zones' });
  await store.init();
  runs[1]!.h = await startEnergyHarness({ store });
  for (const r of runs) await loaded(r.h!);
}, 300_000);

afterAll(async () => {
  for (const r of runs) await r.h?.close();
  await influx?.stop();
});

describe.each(runs)('time-of-day tariffs over REST ($name)', (run) => {
  const h = () => run.h!;
  const days = async (meter: string) =>
    (await h().call('GET', `/api/v1/energy/meters/${meter}/consumption?from=2025-10-24&to=2025-10-27&interval=day`)).json.map((d: { costUAH: number | null }) => d.costUAH);

  it('a two-zone tariff from 25 October changes the cost of the days it covers, not of those before', async () => {
    expect((await h().call('PUT', '/api/v1/energy/tariffs/el-flat', { resource: 'electricity', unit: 'kWh', priceUAH: 4, validFrom: '2025-01-01' })).status).toBe(201);
    expect(await days('EL-1')).toEqual([96, 96, 100]);
    const flat = (await h().call('GET', '/api/v1/energy/tariffs/el-flat')).json;
    expect(flat.zones).toBeNull();
    expect((await h().call('PUT', '/api/v1/energy/tariffs/el-flat', { resource: 'electricity', unit: 'kWh', priceUAH: 4, validFrom: '2025-01-01', validTo: '2025-10-25' })).status).toBe(200);
    const put = await h().call('PUT', '/api/v1/energy/tariffs/el-2z', { resource: 'electricity', unit: 'kWh', priceUAH: 4, validFrom: '2025-10-25', validTo: '2026-01-01', zones: TWO_ZONE, note: 'двозонний' });
    expect(put.status).toBe(201);
    expect(put.json.zones).toEqual([
      { zone: 'night', hours: [{ from: '23:00', to: '07:00' }], priceUAH: 2, coefficient: 0.5 },
      { zone: 'day', hours: [{ from: '07:00', to: '23:00' }], priceUAH: 4, coefficient: 1 },
    ]);
    expect((await h().call('GET', '/api/v1/energy/tariffs?resource=electricity')).json.map((t: { tariffId: string; zones: unknown[] | null }) => [t.tariffId, t.zones?.length ?? 0])).toEqual([['el-flat', 0], ['el-2z', 2]]);
    expect(await days('EL-1')).toEqual([96, 80, 82]);
    expect(await days('EL-2')).toEqual([192, 160, 164]);
  });

  it('prices the hours either side of 23:00 and 07:00 by their zone', async () => {
    const hours = (await h().call('GET', '/api/v1/energy/meters/EL-1/consumption?from=2025-10-27&to=2025-10-28&interval=hour')).json as { start: string; costUAH: number }[];
    expect(hours.filter((x, i) => [6, 7, 22, 23].includes(i)).map((x) => [x.start, x.costUAH])).toEqual([
      ['2025-10-27T04:00:00.000Z', 2],
      ['2025-10-27T05:00:00.000Z', 4],
      ['2025-10-27T20:00:00.000Z', 4],
      ['2025-10-27T21:00:00.000Z', 2],
    ]);
  });

  it('costs months, the city and the ranking from hours where the zones apply, across the month boundary', async () => {
    const months = (await h().call('GET', '/api/v1/energy/buildings/school-2/consumption?from=2025-10-01&to=2025-12-01&interval=month&resource=electricity')).json;
    expect(months.map((m: { costUAH: number }) => m.costUAH)).toEqual([2 * OCT, 2 * NOV]);
    const city = (await h().call('GET', '/api/v1/energy/city/consumption?from=2025-10-01&to=2025-12-01&interval=month&resource=electricity')).json;
    expect(city.map((m: { costUAH: number }) => m.costUAH)).toEqual([3 * OCT, 3 * NOV]);
    const year = (await h().call('GET', '/api/v1/energy/types/school/consumption?from=2025-01-01&to=2026-01-01&interval=year&resource=electricity')).json;
    expect(year[0].costUAH).toBe(3 * (OCT + NOV));
    const ranking = (await h().call('GET', '/api/v1/energy/ranking?from=2025-10-20&to=2025-11-03')).json as { buildingId: string; costUAH: number | null }[];
    expect(ranking.find((r) => r.buildingId === 'school-2')!.costUAH).toBe(2 * (OCT + NOV));
  });

  it('answers a building\u2019s month by zone; water without a tariff has no cost, not 0', async () => {
    const res = await h().call('GET', '/api/v1/energy/buildings/school-1/cost?month=2025-10');
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ buildingId: 'school-1', month: '2025-10', start: '2025-09-30T21:00:00.000Z', end: '2025-10-31T22:00:00.000Z' });
    const [el, water] = res.json.resources;
    // flat 20–24 Oct: 120 h; night: 8 on the 25th, 9 on the 26th, 8 × 5 after: 57 h; day: 16 × 7
    expect(el).toEqual({
      resource: 'electricity', unit: 'kWh', value: 120 + 57 + 112, costUAH: OCT, unpriced: 0,
      zones: [{ zone: null, value: 120, costUAH: 480 }, { zone: 'night', value: 57, costUAH: 114 }, { zone: 'day', value: 112, costUAH: 448 }],
    });
    expect(water).toMatchObject({ resource: 'water', unit: 'm3', costUAH: null, zones: [] });
    expect(water.unpriced).toBeCloseTo(0.1 * (12 * 24 + 1), 6);
    expect((await h().call('GET', '/api/v1/energy/buildings/nowhere/cost?month=2025-10')).status).toBe(404);
    const bad = await h().call('GET', '/api/v1/energy/buildings/school-1/cost?month=2025-13');
    expect(bad.status).toBe(400);
    expect(bad.json.issues[0].field).toBe('month');
  });

  it('puts the cost in the open data set (JSON and CSV, no token): empty where no tariff covers the month', async () => {
    const json = await h().app.inject({ method: 'GET', url: '/open-data/energy/monthly.json?year=2025' });
    expect(json.statusCode).toBe(200);
    const rows = json.json() as { buildingId: string; month: string; resource: string; costUAH: number | null }[];
    expect(rows.filter((r) => r.buildingId === 'school-1').map((r) => [r.month, r.resource, r.costUAH])).toEqual([
      ['2025-10', 'electricity', OCT],
      ['2025-11', 'electricity', NOV],
      ['2025-10', 'water', null],
      ['2025-11', 'water', null],
    ]);
    const csv = (await h().app.inject({ method: 'GET', url: '/open-data/energy/monthly.csv?year=2025' })).body.trimEnd().split('\r\n').map((l: string) => l.split(','));
    expect(csv[0]).toEqual(['buildingId', 'name', 'type', 'areaM2', 'month', 'resource', 'unit', 'value', 'estimated', 'costUAH']);
    expect(csv.filter((l) => l[0] === 'school-2').map((l) => [l[4], l[9]])).toEqual([['2025-10', String(2 * OCT)], ['2025-11', String(2 * NOV)]]);
    expect(csv.find((l) => l[0] === 'school-1' && l[5] === 'water')![9]).toBe('');
  });

  it('has the zone cost in the monthly report, per building and for the city', async () => {
    const report = (await h().call('GET', '/api/v1/energy/reports/monthly.csv?month=2025-10')).text;
    expect(report.startsWith('\ufeff')).toBe(true);
    const lines = report.slice(1).trimEnd().split('\r\n').map((l: string) => l.split(';'));
    const col = lines[0]!.indexOf('Вартість, грн');
    expect(lines.filter((l) => l[4] === 'електроенергія').map((l) => [l[1], l[col]])).toEqual([
      ['Школа № 1', String(OCT)],
      ['Школа № 2', String(2 * OCT)],
      ['Місто (усього)', String(3 * OCT)],
    ]);
  });

  it('refuses zones that leave an hour out, zones for heat and a bad zones cell in the CSV, naming the field; good rows are taken', async () => {
    const hole = await h().call('PUT', '/api/v1/energy/tariffs/el-hole', { resource: 'electricity', unit: 'kWh', priceUAH: 4, validFrom: '2030-01-01', zones: [TWO_ZONE[0], { ...TWO_ZONE[1], hours: [{ from: '07:00', to: '22:00' }] }] });
    expect(hole.status).toBe(400);
    expect(hole.json.issues).toEqual([{ field: 'zones', reason: 'the hour 22:00 is in no zone; the zones must cover the 24 hours of the day' }]);
    const heat = await h().call('PUT', '/api/v1/energy/tariffs/heat-2z', { resource: 'heat', unit: 'Gcal', priceUAH: 3800, validFrom: '2030-01-01', zones: TWO_ZONE });
    expect(heat.status).toBe(400);
    expect(heat.json.issues[0]).toEqual({ field: 'zones', reason: 'only electricity is priced by time of day' });
    const csv = [
      'tariffId,resource,unit,priceUAH,validFrom,validTo,note,zones',
      'el-2030,electricity,kWh,6,2030-01-01,2031-01-01,,three-zone',
      'el-2031,electricity,kWh,6,2031-01-01,,,night 23-07 x0.4 | day 07-21 x1',
      'el-2032,electricity,kWh,6,2030-06-01,,,',
    ].join('\n');
    const res = await h().call('POST', '/api/v1/energy/tariffs/import', csv, { contentType: 'text/csv' });
    expect(res.status).toBe(200);
    expect(res.json.rows.map((r: { line: number; status: string; error?: string }) => [r.line, r.status, r.error])).toEqual([
      [2, 'accepted', undefined],
      [3, 'refused', 'zones: the hour 21:00 is in no zone; the zones must cover the 24 hours of the day'],
      [4, 'refused', expect.stringMatching(/^validFrom: overlaps tariff "el-2030"/)],
    ]);
    expect((await h().call('GET', '/api/v1/energy/tariffs/el-2030')).json.zones.map((z: { zone: string; priceUAH: number }) => [z.zone, z.priceUAH])).toEqual([
      ['night', 2.4], ['half-peak', 6], ['peak', 9],
    ]);
  });

  it('gives the same costs after the rollups are rebuilt from the history store', async () => {
    const before = (await h().call('GET', '/api/v1/energy/buildings/school-1/cost?month=2025-10')).json;
    h().db.exec('DELETE FROM energy_readings; DELETE FROM energy_hourly; DELETE FROM energy_daily; DELETE FROM energy_meters;');
    expect((await h().call('GET', '/api/v1/energy/buildings/school-1/cost?month=2025-10')).json.resources[0].costUAH).toBeNull();
    for (const m of ['EL-1', 'WA-1', 'EL-2']) await h().module.rebuildFromStore(m);
    expect((await h().call('GET', '/api/v1/energy/buildings/school-1/cost?month=2025-10')).json).toEqual(before);
    expect(await days('EL-2')).toEqual([192, 160, 164]);
  });
});
