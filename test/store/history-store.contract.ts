import { describe, expect, it } from 'vitest';
import type { AggregateFn, HistoryPoint, HistoryStore, Measurement } from '../../services/store/history-store.ts';
import { HistoryStoreError } from '../../services/store/points.ts';

export interface StoreUnderTest {
  store: HistoryStore;
  cleanup: () => Promise<void>;
}

/** 2026-01-15T10:00:00Z: a whole minute, so minute buckets start exactly here. */
const T0 = Date.UTC(2026, 0, 15, 10, 0, 0);
const MINUTE = 60_000;

function pos(device: string, ts: number, fields: HistoryPoint['fields'], extraTags: Record<string, string> = {}): HistoryPoint {
  return { measurement: 'position', tags: { device, ...extraTags }, fields, ts };
}

/** Values that break naive line protocol or InfluxQL building. */
export const HOSTILE_VALUES: readonly string[] = [
  "it's",
  'back\\slash',
  'ends with backslash\\',
  '\\',
  '\\\\',
  'x\' OR 1=1 --',
  "' OR ''='",
  '"; DROP DATABASE mistohub; --',
  "x' AND time > 0 GROUP BY * --",
  '/.*/',
  'two words',
  ' leading and trailing ',
  'a,b=c',
  '=',
  ',',
  '"double quoted"',
  '\\"',
  "\\'",
  '\\ ',
  '\\,',
  '\\=',
  '\\_',
  '\\n',
  'line\nbreak',
  'tab\there',
  'cr\rlf\n',
  'Кропивницький: тролейбус №5 🚎',
  '$now()',
];

/**
 * The behaviour every HistoryStore must have. `makeStore` gives an initialised, empty store and
 * a cleanup that closes it and removes what it made.
 */
export function describeHistoryStore(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  async function withStore(fn: (store: HistoryStore) => Promise<void>): Promise<void> {
    const { store, cleanup } = await makeStore();
    try {
      await fn(store);
    } finally {
      await cleanup();
    }
  }

  describe(`HistoryStore contract: ${name}`, () => {
    it('reports ok status', () =>
      withStore(async (store) => {
        const status = await store.status();
        expect(status.ok).toBe(true);
        expect(store.maxBatch).toBe(5000);
      }));

    it('answers empty results for a measurement never written', () =>
      withStore(async (store) => {
        expect(await store.range({ measurement: 'position', tags: {}, from: 0, to: T0 * 2 })).toEqual([]);
        expect(await store.latest('position')).toEqual([]);
        expect(await store.count('position')).toBe(0);
        expect(await store.aggregate({ measurement: 'position', field: 'lat', fn: 'mean', tags: {}, from: 0, to: T0 * 2, bucketMs: MINUTE })).toEqual([]);
        expect(await store.write([])).toBeUndefined();
      }));

    it('returns a range in time order, filtered by tags, with tags and fields as written', () =>
      withStore(async (store) => {
        const a = [0, 3, 1, 4].map((i) => pos('trk-1', T0 + i * 1000, { lat: 48.5 + i / 100, lon: 32.2, speedKmh: i * 10 }, { vehicle: 'TB-12' }));
        const b = [2, 0, 5].map((i) => pos('trk-2', T0 + i * 1000, { lat: 48.6, lon: 32.3 }, { vehicle: 'AB-7' }));
        const energy: HistoryPoint = { measurement: 'energy_reading', tags: { device: 'trk-1' }, fields: { value: 1 }, ts: T0 };
        await store.write([...a, ...b, energy]);

        const byTime = (x: HistoryPoint, y: HistoryPoint) => x.ts - y.ts;
        expect(await store.range({ measurement: 'position', tags: { vehicle: 'TB-12' }, from: T0, to: T0 + 10_000 })).toEqual([...a].sort(byTime));
        expect(await store.range({ measurement: 'position', tags: { device: 'trk-2', vehicle: 'AB-7' }, from: T0, to: T0 + 10_000 })).toEqual([...b].sort(byTime));
        const all = await store.range({ measurement: 'position', tags: {}, from: T0, to: T0 + 10_000 });
        expect(all).toHaveLength(7);
        expect(all.map((p) => p.ts)).toEqual([...a, ...b].map((p) => p.ts).sort((x, y) => x - y));
        // Two series at one instant: a stable tie order, the same in every store.
        expect(all.slice(0, 2).map((p) => p.tags.device)).toEqual(['trk-1', 'trk-2']);
        expect(all.every((p) => p.measurement === 'position')).toBe(true);
        expect(await store.range({ measurement: 'position', tags: { vehicle: 'TB-99' }, from: T0, to: T0 + 10_000 })).toEqual([]);
        expect(await store.range({ measurement: 'position', tags: { vehicle: 'TB-12', device: 'trk-2' }, from: T0, to: T0 + 10_000 })).toEqual([]);
        expect(await store.range({ measurement: 'position', tags: { nosuchtag: 'x' }, from: T0, to: T0 + 10_000 })).toEqual([]);
        expect(await store.range({ measurement: 'lighting_state', tags: {}, from: T0, to: T0 + 10_000 })).toEqual([]);
        expect(await store.range({ measurement: 'energy_reading', tags: {}, from: T0, to: T0 + 10_000 })).toEqual([energy]);
      }));

    it('includes both bounds of a range', () =>
      withStore(async (store) => {
        await store.write([0, 1000, 2000].map((d) => pos('trk-1', T0 + d, { lat: d })));
        const ts = async (from: number, to: number) => (await store.range({ measurement: 'position', tags: {}, from, to })).map((p) => p.ts);
        expect(await ts(T0, T0 + 2000)).toEqual([T0, T0 + 1000, T0 + 2000]);
        expect(await ts(T0 + 1, T0 + 1999)).toEqual([T0 + 1000]);
        expect(await ts(T0 + 1000, T0 + 1000)).toEqual([T0 + 1000]);
        expect(await ts(T0 + 2001, T0 + 5000)).toEqual([]);
        expect(await ts(T0 + 2000, T0)).toEqual([]);
      }));

    it('limits a range to the first points in time order across series', () =>
      withStore(async (store) => {
        const points = Array.from({ length: 10 }, (_, i) => pos(i % 2 === 0 ? 'trk-1' : 'trk-2', T0 + i * 1000, { lat: i }));
        await store.write([...points].reverse());
        const first3 = await store.range({ measurement: 'position', tags: {}, from: T0, to: T0 + 60_000, limit: 3 });
        expect(first3).toEqual(points.slice(0, 3));
        const one = await store.range({ measurement: 'position', tags: { device: 'trk-2' }, from: T0, to: T0 + 60_000, limit: 1 });
        expect(one).toEqual([points[1]]);
        expect(await store.range({ measurement: 'position', tags: {}, from: T0, to: T0 + 60_000, limit: 100 })).toHaveLength(10);
        expect(await store.range({ measurement: 'position', tags: {}, from: T0, to: T0 + 60_000, limit: 0 })).toEqual([]);
        await expect(store.range({ measurement: 'position', tags: {}, from: T0, to: T0 + 60_000, limit: -1 })).rejects.toThrow(RangeError);
        await expect(store.range({ measurement: 'position', tags: {}, from: T0, to: T0 + 60_000, limit: Number.NaN })).rejects.toThrow(RangeError);
      }));

    it('round-trips floats, booleans and strings, with only the fields written', () =>
      withStore(async (store) => {
        const full: HistoryPoint = {
          measurement: 'lighting_state',
          tags: { device: 'cab-1', group: 'g-north' },
          fields: {
            level: 40,
            powerW: 1234.5,
            voltageV: 0.1 + 0.2,
            tiny: 5e-324,
            huge: 1.7976931348623157e308,
            negative: -17.25,
            on: true,
            fault: false,
            note: 'say "hi" \\ \'there\'\nline two, a=b 🚎',
            empty: '',
          },
          ts: T0,
        };
        const partial: HistoryPoint = { measurement: 'lighting_state', tags: { device: 'cab-1', group: 'g-north' }, fields: { level: 0, on: false }, ts: T0 + 1000 };
        await store.write([full, partial]);
        const got = await store.range({ measurement: 'lighting_state', tags: { device: 'cab-1' }, from: T0, to: T0 + 1000 });
        expect(got).toEqual([full, partial]);
        expect(Object.keys(got[1]?.fields ?? {}).sort()).toEqual(['level', 'on']);
        expect(typeof got[0]?.fields.level).toBe('number');
        expect(got[0]?.fields.on).toBe(true);
        expect(got[1]?.fields.on).toBe(false);
        expect(got[0]?.fields.empty).toBe('');
      }));

    it('keeps one point per series and ts: a rewrite replaces it and the last write wins', () =>
      withStore(async (store) => {
        const p = pos('trk-1', T0, { lat: 48.5, lon: 32.2 }, { vehicle: 'TB-12' });
        await store.write([p]);
        await store.write([p]);
        await store.write([p, p]);
        expect(await store.count('position')).toBe(1);
        await store.write([{ ...p, fields: { lat: 50, lon: 30 } }]);
        expect(await store.count('position')).toBe(1);
        expect(await store.range({ measurement: 'position', tags: {}, from: T0, to: T0 })).toEqual([{ ...p, fields: { lat: 50, lon: 30 } }]);
        // Like InfluxDB: fields of the rewrite replace those of the point, the others stay.
        await store.write([{ ...p, fields: { lat: 51, speedKmh: 12 } }]);
        expect(await store.range({ measurement: 'position', tags: {}, from: T0, to: T0 })).toEqual([{ ...p, fields: { lat: 51, lon: 30, speedKmh: 12 } }]);
        // Another series (other tags) at the same instant is another point.
        await store.write([{ ...p, tags: { device: 'trk-1', vehicle: 'TB-13' } }]);
        expect(await store.count('position')).toBe(2);
        expect(await store.count('position', { vehicle: 'TB-12' })).toBe(1);
      }));

    it('gives the latest point of each device, whatever the write order', () =>
      withStore(async (store) => {
        const latest = [pos('trk-a', T0 + 50_000, { lat: 1 }, { vehicle: 'V1' }), pos('trk-b', T0 + 20_000, { lat: 2, lon: 3 }, { vehicle: 'V2' }), pos('trk-c', T0 + 90_000, { lat: 3 }, { vehicle: 'V2' })];
        const older = [pos('trk-a', T0 + 40_000, { lat: 9, lon: 9 }, { vehicle: 'V1' }), pos('trk-a', T0, { lat: 8 }, { vehicle: 'V1' }), pos('trk-b', T0 + 10_000, { lat: 7 }, { vehicle: 'V2' }), pos('trk-c', T0 + 89_999, { lat: 6 }, { vehicle: 'V2' })];
        await store.write([latest[0]!, older[0]!]);
        await store.write([latest[1]!, latest[2]!]);
        await store.write(older.slice(1));
        expect(await store.latest('position')).toEqual(latest);
        expect(await store.latest('position', { vehicle: 'V2' })).toEqual([latest[1], latest[2]]);
        expect(await store.latest('position', { device: 'trk-c' })).toEqual([latest[2]]);
        expect(await store.latest('position', { vehicle: 'nope' })).toEqual([]);
        expect(await store.latest('energy_reading')).toEqual([]);

        // The vehicle of a device changed: still one latest point for the device.
        const moved = pos('trk-a', T0 + 60_000, { lat: 5 }, { vehicle: 'V9' });
        await store.write([moved]);
        expect(await store.latest('position', { device: 'trk-a' })).toEqual([moved]);
        expect(await store.latest('position', { vehicle: 'V1' })).toEqual([latest[0]]);
      }));

    it('aggregates into epoch-aligned buckets with data only, for every function', () =>
      withStore(async (store) => {
        const m: Measurement = 'energy_reading';
        const at = (device: string, offset: number, value: number): HistoryPoint => ({ measurement: m, tags: { device, building: 'school-5' }, fields: { value, unit: 'kWh' }, ts: T0 + offset });
        // Minute 0: 1, 2, 6 · minute 1: nothing · minute 2: 4, 8 (and another meter's 100, filtered out).
        await store.write([at('m-1', 50_000, 6), at('m-1', 0, 1), at('m-1', 10_000, 2), at('m-1', 2 * MINUTE + 30_000, 8), at('m-1', 2 * MINUTE, 4), at('m-2', 2 * MINUTE + 1, 100)]);
        const expected: Record<AggregateFn, [number, number]> = {
          mean: [3, 6],
          min: [1, 4],
          max: [6, 8],
          sum: [9, 12],
          count: [3, 2],
          first: [1, 4],
          last: [6, 8],
        };
        for (const [fn, [v0, v2]] of Object.entries(expected) as [AggregateFn, [number, number]][]) {
          // `from` mid-bucket: buckets still start at whole minutes since the epoch.
          const buckets = await store.aggregate({ measurement: m, field: 'value', fn, tags: { device: 'm-1' }, from: T0 - 30_000, to: T0 + 10 * MINUTE, bucketMs: MINUTE });
          expect(buckets, fn).toEqual([
            { ts: T0, value: v0 },
            { ts: T0 + 2 * MINUTE, value: v2 },
          ]);
        }
        const all = await store.aggregate({ measurement: m, field: 'value', fn: 'sum', tags: { building: 'school-5' }, from: T0, to: T0 + 10 * MINUTE, bucketMs: MINUTE });
        expect(all).toEqual([
          { ts: T0, value: 9 },
          { ts: T0 + 2 * MINUTE, value: 112 },
        ]);
        // Bounds cut inside buckets; a width that does not divide an hour still aligns to the epoch.
        const seven = 7 * MINUTE;
        const odd = await store.aggregate({ measurement: m, field: 'value', fn: 'count', tags: { device: 'm-1' }, from: T0 + 10_000, to: T0 + 2 * MINUTE + 30_000, bucketMs: seven });
        // 10:00 is 5 minutes into a 7-minute bucket; the next one starts at 10:02.
        expect(odd).toEqual([
          { ts: T0 - 5 * MINUTE, value: 2 },
          { ts: T0 + 2 * MINUTE, value: 2 },
        ]);
        expect((T0 - 5 * MINUTE) % seven).toBe(0);
        const hour = await store.aggregate({ measurement: m, field: 'value', fn: 'max', tags: {}, from: T0 - 3_600_000, to: T0 + 3_600_000, bucketMs: 3_600_000 });
        expect(hour).toEqual([{ ts: T0, value: 100 }]);
        expect(await store.aggregate({ measurement: m, field: 'nosuchfield', fn: 'mean', tags: {}, from: T0, to: T0 + 10 * MINUTE, bucketMs: MINUTE })).toEqual([]);
        expect(await store.aggregate({ measurement: m, field: 'value', fn: 'mean', tags: { device: 'm-3' }, from: T0, to: T0 + 10 * MINUTE, bucketMs: MINUTE })).toEqual([]);
      }));

    it('keeps millisecond precision', () =>
      withStore(async (store) => {
        const points = [T0 + 1, T0 + 2, T0 + 999, Date.UTC(2026, 5, 30, 23, 59, 59, 999)].map((ts, i) => pos('trk-1', ts, { lat: i }));
        await store.write(points);
        expect(await store.count('position')).toBe(4);
        expect((await store.range({ measurement: 'position', tags: {}, from: T0, to: T0 + 999 })).map((p) => p.ts)).toEqual([T0 + 1, T0 + 2, T0 + 999]);
        expect(await store.range({ measurement: 'position', tags: {}, from: T0 + 2, to: T0 + 2 })).toEqual([points[1]]);
        expect(await store.latest('position')).toEqual([points[3]]);
      }));

    it('stores old timestamps (a black box from 2019) like new ones', () =>
      withStore(async (store) => {
        const old = Date.UTC(2019, 2, 1, 4, 5, 6, 789);
        const points = [pos('trk-1', old, { lat: 1 }), pos('trk-1', old + 86_400_000 * 40, { lat: 2 }), pos('trk-1', T0, { lat: 3 })];
        await store.write(points);
        expect(await store.count('position')).toBe(3);
        expect(await store.range({ measurement: 'position', tags: { device: 'trk-1' }, from: Date.UTC(2019, 0, 1), to: Date.UTC(2019, 11, 31) })).toEqual(points.slice(0, 2));
        expect(await store.aggregate({ measurement: 'position', field: 'lat', fn: 'count', tags: {}, from: Date.UTC(2019, 0, 1), to: Date.UTC(2020, 0, 1), bucketMs: 86_400_000 })).toEqual([
          { ts: Date.UTC(2019, 2, 1), value: 1 },
          { ts: Date.UTC(2019, 3, 10), value: 1 },
        ]);
      }));

    it('writes more points than one batch holds, and counts them all', () =>
      withStore(async (store) => {
        const n = 12_000;
        const points = Array.from({ length: n }, (_, i) => pos(`trk-${i % 3}`, T0 + i * 10, { lat: i, on: i % 2 === 0 }, { vehicle: `V${i % 3}` }));
        await store.write(points);
        expect(await store.count('position')).toBe(n);
        expect(await store.count('position', { vehicle: 'V1' })).toBe(n / 3);
        const got = await store.range({ measurement: 'position', tags: {}, from: T0, to: T0 + n * 10 });
        expect(got).toHaveLength(n);
        expect(got[0]).toEqual(points[0]);
        expect(got[n - 1]).toEqual(points[n - 1]);
        expect(got.every((p, i) => p.ts === T0 + i * 10)).toBe(true);
        // A replay of the whole batch duplicates nothing.
        await store.write(points);
        expect(await store.count('position')).toBe(n);
      }));

    it('stores hostile tag values exactly and finds them by filter without breaking queries', () =>
      withStore(async (store) => {
        const points = HOSTILE_VALUES.map((v, i) => pos(`trk-${i}`, T0 + i, { lat: i, note: v }, { vehicle: v, route: v }));
        const hostileDevice = pos('dev \'"\\ ,=\\', T0 + 500, { lat: -1 }, { vehicle: 'plain' });
        await store.write([...points, hostileDevice]);

        const all = await store.range({ measurement: 'position', tags: {}, from: T0, to: T0 + 1000 });
        expect(all).toEqual([...points, hostileDevice]);
        expect(await store.count('position')).toBe(points.length + 1);
        for (const [i, v] of HOSTILE_VALUES.entries()) {
          const label = JSON.stringify(v);
          expect(await store.range({ measurement: 'position', tags: { vehicle: v }, from: T0, to: T0 + 1000 }), label).toEqual([points[i]]);
          expect(await store.count('position', { vehicle: v, route: v }), label).toBe(1);
          expect(await store.latest('position', { vehicle: v }), label).toEqual([points[i]]);
          expect(await store.aggregate({ measurement: 'position', field: 'lat', fn: 'sum', tags: { route: v }, from: T0, to: T0 + 1000, bucketMs: MINUTE }), label).toEqual([{ ts: T0, value: i }]);
        }
        expect(await store.range({ measurement: 'position', tags: { device: hostileDevice.tags.device! }, from: T0, to: T0 + 1000 })).toEqual([hostileDevice]);
        // Lookalikes of stored values match nothing.
        for (const v of ["it''s", 'back\\\\slash', 'x', 'ends with backslash', 'two  words']) {
          expect(await store.count('position', { vehicle: v }), JSON.stringify(v)).toBe(0);
        }
        // The store is still whole after all of that.
        expect(await store.count('position')).toBe(points.length + 1);
        expect((await store.status()).ok).toBe(true);
      }));

    // InfluxQL can count only field values: a store may count each series by the field it holds
    // most of, which is exact because every hub message has a field present in all its points.
    it('counts points with tag filters', () =>
      withStore(async (store) => {
        await store.write([
          pos('trk-1', T0, { lat: 1 }, { vehicle: 'V1', route: '5' }),
          pos('trk-1', T0 + 1, { lat: 2, lon: 1 }, { vehicle: 'V1', route: '5' }),
          pos('trk-2', T0, { lat: 1 }, { vehicle: 'V2', route: '5' }),
          pos('trk-3', T0, { lat: 1 }, { vehicle: 'V3', route: '7' }),
          { measurement: 'lighting_state', tags: { device: 'cab-1' }, fields: { level: 1, on: true }, ts: T0 },
        ]);
        expect(await store.count('position')).toBe(4);
        expect(await store.count('position', {})).toBe(4);
        expect(await store.count('position', { route: '5' })).toBe(3);
        expect(await store.count('position', { route: '5', vehicle: 'V2' })).toBe(1);
        expect(await store.count('position', { device: 'trk-1' })).toBe(2);
        expect(await store.count('position', { route: '9' })).toBe(0);
        expect(await store.count('lighting_state')).toBe(1);
        expect(await store.count('energy_reading')).toBe(0);
      }));

    it('refuses a field whose type conflicts with the stored one, not retryable, and keeps working', () =>
      withStore(async (store) => {
        await store.write([pos('trk-1', T0, { lat: 1, sat: 7 })]);
        const err = await store.write([pos('trk-1', T0 + 1, { lat: 2, sat: 'seven' })]).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(HistoryStoreError);
        expect(err).toMatchObject({ retryable: false });
        expect(String((err as Error).message)).toMatch(/field type conflict/);
        await store.write([pos('trk-1', T0 + 2, { lat: 3, sat: 8 })]);
        expect((await store.range({ measurement: 'position', tags: {}, from: T0, to: T0 + 10 })).map((p) => p.fields.sat)).toEqual([7, 8]);
      }));

    it('takes measurements registered at run time, by name and identifying tags, and refuses bad names', () =>
      withStore(async (store) => {
        store.registerMeasurement({ name: 'lamp_fault', tags: ['cabinet', 'lamp'] });
        store.registerMeasurement({ name: 'lamp_fault', tags: ['lamp', 'phase', 'device'] });
        store.registerMeasurement({ name: 'meter_reading', tags: [] });
        expect(store.measurements()).toEqual([
          { name: 'lamp_fault', tags: ['cabinet', 'lamp', 'phase'] },
          { name: 'meter_reading', tags: [] },
        ]);
        expect(() => store.registerMeasurement({ name: 'lamp fault', tags: [] })).toThrow(/measurement name "lamp fault" is not a plain name/);
        expect(() => store.registerMeasurement({ name: 'x', tags: ['bad-key'] })).toThrow(/tag "bad-key" of measurement x/);
        expect(() => store.registerMeasurement({ name: 'x', tags: 'cabinet' as unknown as string[] })).toThrow(/tags of measurement x/);

        const fault = (lamp: string, ts: number, code: number): HistoryPoint => ({ measurement: 'lamp_fault', tags: { device: 'cab-1', cabinet: 'K-12', lamp }, fields: { code }, ts });
        const points = [fault('L1', T0, 3), fault('L2', T0 + 1000, 5), fault('L1', T0 + 2000, 7)];
        await store.write(points);
        expect(await store.range({ measurement: 'lamp_fault', tags: { lamp: 'L1' }, from: T0, to: T0 + 5000 })).toEqual([points[0], points[2]]);
        expect(await store.count('lamp_fault', { cabinet: 'K-12' })).toBe(3);
        expect(await store.latest('lamp_fault', { cabinet: 'K-12' })).toEqual([points[2]]);
        expect(await store.aggregate({ measurement: 'lamp_fault', field: 'code', fn: 'max', tags: { cabinet: 'K-12' }, from: T0, to: T0 + 5000, bucketMs: MINUTE })).toEqual([{ ts: T0, value: 7 }]);
      }));

    it('aggregates per value of a tag (groupBy), series without the tag in the group ""', () =>
      withStore(async (store) => {
        const reading = (device: string, building: string | undefined, offset: number, value: number): HistoryPoint => ({
          measurement: 'energy_reading', tags: building === undefined ? { device } : { device, building }, fields: { value }, ts: T0 + offset,
        });
        await store.write([
          reading('m-1', 'school-5', 0, 1), reading('m-1', 'school-5', MINUTE, 2), reading('m-2', 'school-5', 10_000, 10),
          reading('m-3', 'lyceum-1', 0, 100), reading('m-4', undefined, 0, 1000), reading('m-3', 'lyceum-1', 2 * MINUTE, 200),
        ]);
        const base = { measurement: 'energy_reading', field: 'value', fn: 'sum' as const, from: T0, to: T0 + 10 * MINUTE, bucketMs: MINUTE };
        expect(await store.aggregate({ ...base, tags: {}, groupBy: 'building' })).toEqual([
          { ts: T0, value: 1000, group: '' },
          { ts: T0, value: 100, group: 'lyceum-1' },
          { ts: T0 + 2 * MINUTE, value: 200, group: 'lyceum-1' },
          { ts: T0, value: 11, group: 'school-5' },
          { ts: T0 + MINUTE, value: 2, group: 'school-5' },
        ]);
        expect(await store.aggregate({ ...base, tags: { building: 'school-5' }, groupBy: 'device', fn: 'count', bucketMs: 10 * MINUTE })).toEqual([
          { ts: T0, value: 2, group: 'm-1' },
          { ts: T0, value: 1, group: 'm-2' },
        ]);
        expect(await store.aggregate({ ...base, tags: {}, groupBy: 'nosuchtag', fn: 'count', bucketMs: 10 * MINUTE })).toEqual([{ ts: T0, value: 6, group: '' }]);
        await expect(store.aggregate({ ...base, tags: {}, groupBy: 'bad key' })).rejects.toThrow(/groupBy "bad key" is not a tag key/);
      }));

    // 2026-10-25 in Europe/Kyiv has 25 hours: clocks go back from 04:00 EEST (UTC+3) to 03:00 EET (UTC+2).
    it('aggregates into local days of a time zone, right across DST (2026-10-25 in Kyiv has 25 hours)', () =>
      withStore(async (store) => {
        const kyivMidnightOct24 = Date.UTC(2026, 9, 23, 21);
        const HOUR = 3_600_000;
        const hourly: HistoryPoint[] = Array.from({ length: 96 }, (_, h) => ({ measurement: 'energy_reading', tags: { device: 'm-1', building: 'school-5' }, fields: { value: h }, ts: kyivMidnightOct24 + h * HOUR }));
        await store.write(hourly);
        const q = { measurement: 'energy_reading', field: 'value', tags: { device: 'm-1' }, from: kyivMidnightOct24, to: kyivMidnightOct24 + 96 * HOUR } as const;
        const days = [Date.UTC(2026, 9, 23, 21), Date.UTC(2026, 9, 24, 21), Date.UTC(2026, 9, 25, 22), Date.UTC(2026, 9, 26, 22)];
        expect(await store.aggregate({ ...q, fn: 'count', every: 'day', tz: 'Europe/Kyiv' })).toEqual([
          { ts: days[0], value: 24 },
          { ts: days[1], value: 25 },
          { ts: days[2], value: 24 },
          { ts: days[3], value: 23 },
        ]);
        // first/last give the bucket's start as its time, as every other function does.
        expect(await store.aggregate({ ...q, fn: 'first', every: 'day', tz: 'Europe/Kyiv' })).toEqual([
          { ts: days[0], value: 0 },
          { ts: days[1], value: 24 },
          { ts: days[2], value: 49 },
          { ts: days[3], value: 73 },
        ]);
        expect((await store.aggregate({ ...q, fn: 'last', every: 'day', tz: 'Europe/Kyiv' })).map((b) => b.value)).toEqual([23, 48, 72, 95]);
        // Hourly buckets of the long day, as energy folds them into local days: 25 of them.
        const hours = await store.aggregate({ ...q, from: days[1]!, to: days[2]! - 1, fn: 'sum', every: 'hour', tz: 'Europe/Kyiv' });
        expect(hours).toHaveLength(25);
        expect(hours.map((b) => b.ts)).toEqual(Array.from({ length: 25 }, (_, h) => days[1]! + h * HOUR));
        expect(hours.reduce((sum, b) => sum + (b.value ?? 0), 0)).toBe(Array.from({ length: 25 }, (_, h) => 24 + h).reduce((a, b) => a + b));
        // `from` inside a day: that day's bucket, with the points from `from` on.
        expect(await store.aggregate({ ...q, from: days[1]! + 12 * HOUR, to: days[2]! + HOUR, fn: 'count', every: 'day', tz: 'Europe/Kyiv' })).toEqual([
          { ts: days[1], value: 13 },
          { ts: days[2], value: 2 },
        ]);
        // Without tz: days of UTC.
        expect((await store.aggregate({ ...q, fn: 'count', every: 'day' })).map((b) => [new Date(b.ts).toISOString(), b.value])).toEqual([
          ['2026-10-23T00:00:00.000Z', 3], ['2026-10-24T00:00:00.000Z', 24], ['2026-10-25T00:00:00.000Z', 24], ['2026-10-26T00:00:00.000Z', 24], ['2026-10-27T00:00:00.000Z', 21],
        ]);
        // Grouped and local at once.
        expect(await store.aggregate({ ...q, tags: {}, fn: 'count', every: 'day', tz: 'Europe/Kyiv', groupBy: 'building', from: days[1]!, to: days[2]! - 1 })).toEqual([{ ts: days[1], value: 25, group: 'school-5' }]);
      }));

    it('aggregates into local months of a time zone', () =>
      withStore(async (store) => {
        const at = (iso: string, value: number): HistoryPoint => ({ measurement: 'energy_reading', tags: { device: 'm-9' }, fields: { value }, ts: Date.parse(iso) });
        // 23:30 on 30 September in Kyiv is September there; half an hour later it is October.
        await store.write([at('2026-09-30T20:30:00Z', 1), at('2026-09-30T21:30:00Z', 2), at('2026-10-31T21:59:59.999Z', 4), at('2026-10-31T22:00:00Z', 8), at('2027-01-15T12:00:00Z', 16)]);
        const q = { measurement: 'energy_reading', field: 'value', tags: { device: 'm-9' }, from: Date.UTC(2026, 8, 15), to: Date.UTC(2027, 1, 1), every: 'month', tz: 'Europe/Kyiv' } as const;
        expect(await store.aggregate({ ...q, fn: 'sum' })).toEqual([
          { ts: Date.parse('2026-08-31T21:00:00Z'), value: 1 },
          { ts: Date.parse('2026-09-30T21:00:00Z'), value: 6 },
          { ts: Date.parse('2026-10-31T22:00:00Z'), value: 8 },
          { ts: Date.parse('2026-12-31T22:00:00Z'), value: 16 },
        ]);
        expect((await store.aggregate({ ...q, fn: 'last' })).map((b) => b.value)).toEqual([1, 4, 8, 16]);
        expect((await store.aggregate({ ...q, fn: 'mean', groupBy: 'device' })).map((b) => [b.group, b.value])).toEqual([['m-9', 1], ['m-9', 3], ['m-9', 8], ['m-9', 16]]);
      }));

    it('refuses an aggregate with no bucket, two kinds of bucket, or an unknown zone, naming the field', () =>
      withStore(async (store) => {
        const q = { measurement: 'energy_reading', field: 'value', fn: 'sum' as const, tags: {}, from: T0, to: T0 + MINUTE };
        await expect(store.aggregate(q)).rejects.toThrow(/bucketMs must be a positive whole number/);
        await expect(store.aggregate({ ...q, bucketMs: MINUTE, every: 'day' })).rejects.toThrow(/either bucketMs or every/);
        await expect(store.aggregate({ ...q, every: 'day', tz: 'Mars/Olympus_Mons' })).rejects.toThrow(/tz "Mars\/Olympus_Mons" is not an IANA time zone/);
        await expect(store.aggregate({ ...q, bucketMs: MINUTE, tz: 'Europe/Kyiv' })).rejects.toThrow(/tz applies to calendar buckets/);
        await expect(store.aggregate({ ...q, every: 'week' as 'day' })).rejects.toThrow(/every must be one of hour, day, month/);
        await expect(store.aggregate({ ...q, every: 'hour', from: 0, to: Date.UTC(2100, 0, 1) })).rejects.toThrow(/more than 100000 buckets/);
      }));

    it('refuses malformed points, not retryable, before writing any of the batch', () =>
      withStore(async (store) => {
        const good = pos('trk-1', T0, { lat: 1 });
        const bad: HistoryPoint[] = [
          pos('trk-1', T0 + 1, { lat: Number.NaN }),
          pos('trk-1', T0 + 1, { lat: Number.POSITIVE_INFINITY }),
          pos('trk-1', T0 + 0.5, { lat: 1 }),
          pos('trk-1', T0 + 1, {}),
          { measurement: 'position', tags: { vehicle: 'V1' }, fields: { lat: 1 }, ts: T0 + 1 },
          pos('', T0 + 1, { lat: 1 }),
          pos('trk-1', T0 + 1, { 'bad key': 1 }),
          pos('trk-1', T0 + 1, { lat: 1 }, { 'bad,key': 'x' }),
          pos('trk-1', T0 + 1, { vehicle: 1 }, { vehicle: 'V1' }),
          pos('trk-1', T0 + 1, { lat: null as unknown as number }),
        ];
        for (const p of bad) {
          await expect(store.write([good, p]), JSON.stringify(p)).rejects.toMatchObject({ name: 'HistoryStoreError', retryable: false });
        }
        expect(await store.count('position')).toBe(0);
      }));
  });
}
