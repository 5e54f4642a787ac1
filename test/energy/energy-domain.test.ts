import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeviceCreate, type DeviceMessage, type EnergyUnit } from '../../services/contracts/index.ts';
import { localIntervals } from '../../services/energy/consumption/local-time.ts';
import { hourlyConsumption, sumIntervals, type RegisterReading } from '../../services/energy/consumption/registers.ts';
import { startEnergyHarness, type EnergyHarness } from './harness.ts';

const at = (iso: string) => Date.parse(iso);
const reading = (meterId: string, ts: number, value: number, unit: EnergyUnit = 'kWh'): DeviceMessage => ({
  channel: 'energy-reading', deviceId: meterId, ts, payload: { ts, value, unit },
});

let h: EnergyHarness;
beforeEach(async () => {
  h = await startEnergyHarness();
});
afterEach(async () => {
  await h.close();
});

describe('buildings', () => {
  it('are created, replaced, listed, read and deleted; answers name the meters', async () => {
    const body = { name: 'Школа № 5', type: 'school', areaM2: 4200, address: 'вул. Велика Перспективна, 10', lat: 48.51, lon: 32.26 };
    expect((await h.call('PUT', '/api/v1/energy/buildings/school-5', body)).status).toBe(201);
    await h.meter('EM-1', { buildingId: 'school-5', resource: 'electricity', unit: 'kWh' });
    const replaced = await h.call('PUT', '/api/v1/energy/buildings/school-5', { ...body, areaM2: 4300 });
    expect(replaced.status).toBe(200);
    expect(replaced.json).toMatchObject({ buildingId: 'school-5', areaM2: 4300, type: 'school', meterIds: ['EM-1'] });
    expect((await h.call('GET', '/api/v1/energy/buildings')).json).toHaveLength(1);
    expect((await h.call('GET', '/api/v1/energy/buildings/school-5')).json).toMatchObject({ name: 'Школа № 5', address: 'вул. Велика Перспективна, 10' });
    expect((await h.call('DELETE', '/api/v1/energy/buildings/school-5')).status).toBe(204);
    expect((await h.call('GET', '/api/v1/energy/buildings/school-5')).status).toBe(404);
    expect((await h.call('DELETE', '/api/v1/energy/buildings/school-5')).status).toBe(404);
  });

  it('a bad body is refused naming each field; the role energy (or admin) is needed', async () => {
    const bad = await h.call('PUT', '/api/v1/energy/buildings/school-5', { name: '', type: 'castle', areaM2: -1 });
    expect(bad.status).toBe(400);
    expect(bad.json.issues.map((i: { field: string }) => i.field).sort()).toEqual(['areaM2', 'name', 'type']);
    expect((await h.call('GET', '/api/v1/energy/buildings', undefined, { token: await h.token('dispatcher') })).status).toBe(403);
    expect((await h.call('GET', '/api/v1/energy/buildings', undefined, { token: 'nope' })).status).toBe(401);
    expect((await h.call('GET', '/api/v1/energy/buildings', undefined, { token: await h.token('admin') })).status).toBe(200);
  });

  it('a CSV of buildings is answered row by row; good rows are kept', async () => {
    const csv = [
      'buildingId,name,type,areaM2,address,lat,lon',
      'school-5,Школа № 5,school,4200,"вул. Велика Перспективна, 10",48.51,32.26',
      'kg-12,Дитсадок № 12,kindergarten,abc,,,',
      'bad id,Офіс,office,100,,,',
      'hosp-1,Лікарня № 1,hospital,12000,,91,',
    ].join('\n');
    const res = await h.call('POST', '/api/v1/energy/buildings/import', csv);
    expect(res.status).toBe(200);
    expect(res.json.accepted).toBe(1);
    expect(res.json.rows).toEqual([
      { line: 2, id: 'school-5', status: 'accepted' },
      { line: 3, id: 'kg-12', status: 'refused', error: expect.stringMatching(/^areaM2: /) },
      { line: 4, id: 'bad id', status: 'refused', error: expect.stringMatching(/^buildingId: must be/) },
      { line: 5, id: 'hosp-1', status: 'refused', error: 'lat: must be ≤ 90' },
    ]);
    const missing = await h.call('POST', '/api/v1/energy/buildings/import', 'buildingId,name\nx,y');
    expect(missing.status).toBe(400);
    expect(missing.json.issues).toEqual([{ field: 'type', reason: 'missing column' }]);
  });
});

describe('meters', () => {
  it('only an energy-meter carries resource, unit and multiplier, and the unit must suit the resource', () => {
    const base = { id: 'm1', kind: 'energy-meter', protocol: 'mqtt' } as const;
    expect(DeviceCreate.safeParse({ ...base, resource: 'water', unit: 'm3', multiplier: 10 }).success).toBe(true);
    const wrongUnit = DeviceCreate.safeParse({ ...base, resource: 'water', unit: 'kWh' });
    expect(wrongUnit.error?.issues[0]).toMatchObject({ path: ['unit'], message: 'a water meter counts in m3' });
    const tracker = DeviceCreate.safeParse({ id: 't1', kind: 'tracker', protocol: 'mqtt', imei: '123456789012345', vehicleId: 'TB-1', resource: 'heat' });
    expect(tracker.error?.issues[0]).toMatchObject({ path: ['resource'], message: 'only an energy-meter has it' });
    expect(DeviceCreate.safeParse({ ...base, multiplier: 0 }).error?.issues[0]?.path).toEqual(['multiplier']);
  });

  it('keep their fields in the registry', async () => {
    await h.meter('EM-1', { buildingId: 'school-5', resource: 'electricity', unit: 'kWh', multiplier: 40 });
    expect(h.devices.get('EM-1')).toMatchObject({ resource: 'electricity', unit: 'kWh', multiplier: 40 });
    await h.devices.update('EM-1', { multiplier: 80 }, 'test');
    expect(h.devices.get('EM-1')).toMatchObject({ resource: 'electricity', multiplier: 80 });
  });
});

describe('consumption rolled up as readings arrive', () => {
  it('a meter by hour, day and month in local time, the multiplier applied', async () => {
    await h.meter('EM-1', { resource: 'electricity', unit: 'kWh', multiplier: 2 });
    // 1 register unit an hour, every 15 minutes, 28 March 00:00 local to 31 March 00:00 local (spring forward on the 29th).
    const start = at('2026-03-27T22:00:00Z');
    const end = at('2026-03-30T21:00:00Z');
    const msgs: DeviceMessage[] = [];
    for (let ts = start, v = 100; ts <= end; ts += 900_000, v += 0.25) msgs.push(reading('EM-1', ts, v));
    // In a few batches, as MQTT would bring them.
    for (let i = 0; i < msgs.length; i += 37) {
      await h.pipeline.accept(msgs.slice(i, i + 37), 'mqtt');
      h.module.flush();
    }
    const days = await h.call('GET', '/api/v1/energy/meters/EM-1/consumption?from=2026-03-28&to=2026-03-31&interval=day');
    expect(days.status).toBe(200);
    expect(days.json).toEqual([
      { start: '2026-03-27T22:00:00.000Z', end: '2026-03-28T22:00:00.000Z', value: 48, unit: 'kWh', estimated: false, resource: 'electricity', costUAH: null },
      { start: '2026-03-28T22:00:00.000Z', end: '2026-03-29T21:00:00.000Z', value: 46, unit: 'kWh', estimated: false, resource: 'electricity', costUAH: null },
      { start: '2026-03-29T21:00:00.000Z', end: '2026-03-30T21:00:00.000Z', value: 48, unit: 'kWh', estimated: false, resource: 'electricity', costUAH: null },
    ]);
    const hours = await h.call('GET', '/api/v1/energy/meters/EM-1/consumption?from=2026-03-29&to=2026-03-30&interval=hour');
    expect(hours.json).toHaveLength(23);
    expect(hours.json.every((x: { value: number }) => x.value === 2)).toBe(true);
    const month = await h.call('GET', '/api/v1/energy/meters/EM-1/consumption?from=2026-03-01&to=2026-04-01&interval=month');
    expect(month.json).toEqual([expect.objectContaining({ start: '2026-02-28T22:00:00.000Z', end: '2026-03-31T21:00:00.000Z', value: 142 })]);
  });

  it('late and out-of-order readings in separate batches give what all readings computed at once give', async () => {
    await h.meter('EM-1', { unit: 'kWh' });
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const all: RegisterReading[] = [];
    let v = 5000;
    for (let ts = at('2026-01-30T00:00:00Z'); ts < at('2026-02-03T00:00:00Z'); ts += 900_000) {
      v += rand() * 3;
      if (rand() < 0.08) continue; // a missed reading: a gap
      all.push({ ts, value: Math.round(v * 1000) / 1000, unit: 'kWh' });
    }
    // A meter replacement on 1 February at 12:00 UTC.
    for (const r of all) if (r.ts >= at('2026-02-01T12:00:00Z')) r.value -= 4990;
    const shuffled = [...all].sort(() => rand() - 0.5);
    for (let i = 0; i < shuffled.length; i += 23) {
      await h.pipeline.accept(shuffled.slice(i, i + 23).map((r) => reading('EM-1', r.ts, r.value)), 'mqtt');
      h.module.flush();
    }
    const expected = sumIntervals(hourlyConsumption(all, { tz: 'Europe/Kyiv', unit: 'kWh' }).hours, localIntervals('2026-01-30', '2026-02-03', 'hour', 'Europe/Kyiv'));
    const got = (await h.call('GET', '/api/v1/energy/meters/EM-1/consumption?from=2026-01-30&to=2026-02-03&interval=hour')).json;
    expect(got).toHaveLength(expected.length);
    got.forEach((g: { value: number | null; estimated: boolean }, i: number) => {
      const want = expected[i]!.value;
      if (want === null) expect(g.value).toBeNull();
      else expect(g.value).toBeCloseTo(want, 5);
      expect(g.estimated).toBe(expected[i]!.estimated);
    });
    // And the days, kept alongside the hours.
    const days = (await h.call('GET', '/api/v1/energy/meters/EM-1/consumption?from=2026-01-30&to=2026-02-03&interval=day')).json;
    const expectedDays = sumIntervals(hourlyConsumption(all, { tz: 'Europe/Kyiv', unit: 'kWh' }).hours, localIntervals('2026-01-30', '2026-02-03', 'day', 'Europe/Kyiv'));
    days.forEach((d: { value: number }, i: number) => expect(d.value).toBeCloseTo(expectedDays[i]!.value!, 5));
  });

  it('a reading for last month that arrives late corrects last month', async () => {
    await h.meter('EM-1', { unit: 'kWh' });
    await h.pipeline.accept([reading('EM-1', at('2026-01-31T17:00:00Z'), 1000), reading('EM-1', at('2026-02-03T10:00:00Z'), 1640)], 'mqtt');
    h.module.flush();
    const months = () => h.call('GET', '/api/v1/energy/meters/EM-1/consumption?from=2026-01-01&to=2026-03-01&interval=month').then((r) => r.json);
    const before = await months();
    expect(before[0].value).toBeCloseTo(640 * (5 / 65), 5);
    expect(before[0].estimated).toBe(true);
    await h.pipeline.accept([reading('EM-1', at('2026-01-31T21:45:00Z'), 1100)], 'mqtt');
    h.module.flush();
    const after = await months();
    expect(after[0].value).toBeCloseTo(100 + 540 * (0.25 / 60.25), 5);
    expect(after[1].value).toBeCloseTo(540 * (60 / 60.25), 5);
  });

  it('a building sums its meters per resource and unit, never kWh with m3', async () => {
    await h.call('PUT', '/api/v1/energy/buildings/school-5', { name: 'Школа № 5', type: 'school', areaM2: 4200 });
    await h.meter('EM-1', { buildingId: 'school-5', resource: 'electricity', unit: 'kWh' });
    await h.meter('EM-2', { buildingId: 'school-5', resource: 'electricity', unit: 'kWh' });
    await h.meter('WM-1', { buildingId: 'school-5', resource: 'water', unit: 'm3' });
    await h.meter('EM-9', { buildingId: 'other', resource: 'electricity', unit: 'kWh' });
    const day = at('2026-05-03T21:00:00Z'); // 4 May, local midnight
    await h.pipeline.accept([
      reading('EM-1', day, 10), reading('EM-1', day + 86_400_000, 34),
      reading('EM-2', day, 500), reading('EM-2', day + 86_400_000, 506),
      reading('WM-1', day, 70, 'm3'), reading('WM-1', day + 86_400_000, 72.5, 'm3'),
      reading('EM-9', day, 0), reading('EM-9', day + 86_400_000, 1000),
    ], 'mqtt');
    h.module.flush();
    const res = await h.call('GET', '/api/v1/energy/buildings/school-5/consumption?from=2026-05-04&to=2026-05-05&interval=day');
    expect(res.json).toEqual([
      { start: '2026-05-03T21:00:00.000Z', end: '2026-05-04T21:00:00.000Z', value: 30, unit: 'kWh', estimated: true, resource: 'electricity', costUAH: null },
      { start: '2026-05-03T21:00:00.000Z', end: '2026-05-04T21:00:00.000Z', value: 2.5, unit: 'm3', estimated: true, resource: 'water', costUAH: null },
    ]);
    const water = await h.call('GET', '/api/v1/energy/buildings/school-5/consumption?from=2026-05-04&to=2026-05-05&interval=day&resource=water');
    expect(water.json).toHaveLength(1);
    expect((await h.call('GET', '/api/v1/energy/buildings/nowhere/consumption?from=2026-05-04&to=2026-05-05')).status).toBe(404);
  });

  it('bad queries name the field', async () => {
    await h.meter('EM-1', { unit: 'kWh' });
    const week = await h.call('GET', '/api/v1/energy/meters/EM-1/consumption?from=2026-05-04&to=2026-05-05&interval=week');
    expect(week.status).toBe(400);
    expect(week.json.issues[0].field).toBe('interval');
    const backwards = await h.call('GET', '/api/v1/energy/meters/EM-1/consumption?from=2026-05-04&to=2026-05-01');
    expect(backwards.json).toMatchObject({ statusCode: 400, issues: [{ field: 'to', reason: 'must be a later date than from' }] });
    const feb30 = await h.call('GET', '/api/v1/energy/meters/EM-1/consumption?from=2026-02-30&to=2026-03-05');
    expect(feb30.json.issues).toEqual([{ field: 'from', reason: '"2026-02-30" is not a calendar date' }]);
    expect((await h.call('GET', '/api/v1/energy/meters/nope/consumption?from=2026-05-04&to=2026-05-05')).status).toBe(404);
  });

  it('rollups missing at start are rebuilt from the history store', async () => {
    await h.meter('EM-1', { unit: 'kWh' });
    const msgs: DeviceMessage[] = [];
    for (let i = 0; i <= 96; i++) msgs.push(reading('EM-1', at('2026-05-03T21:00:00Z') + i * 900_000, 100 + i));
    await h.pipeline.accept(msgs, 'mqtt');
    h.module.flush();
    const url = '/api/v1/energy/meters/EM-1/consumption?from=2026-05-04&to=2026-05-05&interval=day';
    expect((await h.call('GET', url)).json[0].value).toBe(96);
    await h.stored(97);
    // The rollups are lost (a restored registry, a first start of this version).
    h.db.exec('DELETE FROM energy_readings; DELETE FROM energy_hourly; DELETE FROM energy_daily; DELETE FROM energy_meters;');
    expect((await h.call('GET', url)).json[0].value).toBeNull();
    await h.restart();
    await h.module.rebuilt;
    expect((await h.call('GET', url)).json[0]).toMatchObject({ value: 96, estimated: false });
  });
});

describe('readings imported from CSV', () => {
  it('go through ingest (stored, rolled up); refused rows say why', async () => {
    await h.meter('EM-1', { unit: 'kWh' });
    await h.devices.create({ id: 'TR-1', kind: 'tracker', protocol: 'mqtt', imei: '123456789012345', vehicleId: 'TB-1' }, 'test');
    const csv = [
      'meterId,ts,value,unit',
      'EM-1,2026-05-04T00:00:00+03:00,100,kWh',
      'EM-1,2026-05-04T12:00:00+03:00,130.5,kWh',
      `EM-1,${at('2026-05-05T00:00:00+03:00')},148,kWh`,
      'EM-2,2026-05-04T00:00:00+03:00,1,kWh',
      'TR-1,2026-05-04T00:00:00+03:00,1,kWh',
      'EM-1,2026-05-04T06:00:00+03:00,-5,kWh',
      'EM-1,04.05.2026 06:00,110,kWh',
      'EM-1,2026-05-04T06:00:00+03:00,110,MWh',
      'EM-1,2099-01-01T00:00:00Z,999,kWh',
    ].join('\r\n');
    const res = await h.call('POST', '/api/v1/energy/readings/import', csv);
    expect(res.status).toBe(200);
    expect(res.json.accepted).toBe(3);
    expect(res.json.rows.slice(3)).toEqual([
      { line: 5, id: 'EM-2', status: 'refused', error: 'meterId: no device "EM-2" is registered' },
      { line: 6, id: 'TR-1', status: 'refused', error: 'meterId: "TR-1" is a tracker, not an energy-meter' },
      { line: 7, id: 'EM-1', status: 'refused', error: 'value: must be ≥ 0' },
      { line: 8, id: 'EM-1', status: 'refused', error: expect.stringMatching(/^ts: /) },
      { line: 9, id: 'EM-1', status: 'refused', error: expect.stringMatching(/^unit: /) },
      { line: 10, id: 'EM-1', status: 'refused', error: 'ts: 2099-01-01T00:00:00.000Z is in the future' },
    ]);
    await h.stored(3);
    const day = (await h.call('GET', '/api/v1/energy/meters/EM-1/consumption?from=2026-05-04&to=2026-05-05&interval=day')).json;
    expect(day[0]).toMatchObject({ value: 48, estimated: true });
    const noColumn = await h.call('POST', '/api/v1/energy/readings/import', 'meterId,ts,value\nEM-1,2026-05-04T00:00:00Z,1');
    expect(noColumn.json.issues).toEqual([{ field: 'unit', reason: 'missing column' }]);
    expect((await h.call('POST', '/api/v1/energy/readings/import', { meterId: 'EM-1' })).status).toBe(415);
  });
});
