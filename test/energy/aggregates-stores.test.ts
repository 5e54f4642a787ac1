/**
 * Energy aggregates are the same on InfluxDB and on the embedded store (issue 11, item 4): the
 * same register readings go through the real energy path (the readings import → ingest → spool →
 * history writer into the store under test, and the energy module's rollups) of a harness on each
 * store, and the hourly, daily, monthly and yearly consumption of every meter and building is
 * asked over REST. The readings cover both DST days of 2026 in Europe/Kyiv (29 March: 23 hours;
 * 25 October: 25 hours) and two month boundaries, with a gap across the spring jump, a late
 * batch (last month's readings arriving after this month's) and a corrected duplicate. Then the
 * registry's rollups and kept readings are wiped and rebuilt from each history store
 * (`rebuildFromStore`, what a first start or a restored registry does): the store is the only
 * source then, and the answers must not change. Expected values come from the pure register
 * arithmetic over the final set of readings.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localIntervals } from '../../services/energy/consumption/local-time.ts';
import { hourlyConsumption, sumIntervals, type RegisterReading } from '../../services/energy/consumption/registers.ts';
import { InfluxHistoryStore } from '../../services/store/influx-store.ts';
import { startInfluxd, type RunningInfluxd } from '../support/influxd.ts';
import { startEnergyHarness, type EnergyHarness } from './harness.ts';

const TZ = 'Europe/Kyiv';
const Q = 900_000;

interface MeterSpec { id: string; buildingId: string; resource: 'electricity' | 'water'; unit: 'kWh' | 'm3'; multiplier: number }
const METERS: MeterSpec[] = [
  { id: 'E1', buildingId: 'B1', resource: 'electricity', unit: 'kWh', multiplier: 1 },
  { id: 'E2', buildingId: 'B1', resource: 'electricity', unit: 'kWh', multiplier: 2 },
  { id: 'W1', buildingId: 'B2', resource: 'water', unit: 'm3', multiplier: 1 },
];

/** Two stretches of 15-minute readings: around the spring DST day and the end of March, around the autumn DST day and the end of October. */
const STRETCHES: [string, string][] = [
  ['2026-03-27T00:00:00Z', '2026-04-02T00:00:00Z'],
  ['2026-10-23T00:00:00Z', '2026-11-02T00:00:00Z'],
];
/** E1 is silent across the spring jump (01:00 UTC on 29 March): a gap, spread and estimated. */
const GAP: [number, number] = [Date.parse('2026-03-28T23:00:00Z'), Date.parse('2026-03-29T05:00:00Z')];
/** E2's readings across the March/April boundary (local midnight 21:00 UTC) arrive late, after October's. */
const LATE: [number, number] = [Date.parse('2026-03-31T18:00:00Z'), Date.parse('2026-04-01T03:00:00Z')];
/** W1's reading in the second 03:00 of 25 October is sent again, corrected. */
const CORRECTED = { ts: Date.parse('2026-10-25T01:15:00Z'), value: -1 };

/** Register readings of a meter: steps of quarters of a unit, exact in binary, varying by time of day. */
function readingsOf(m: MeterSpec, k: number): RegisterReading[] {
  const out: RegisterReading[] = [];
  let register = 1000 * (k + 1);
  for (const [from, to] of STRETCHES) {
    for (let ts = Date.parse(from); ts <= Date.parse(to); ts += Q) {
      const slot = (ts / Q) % 96;
      register += (slot >= 28 && slot < 76 ? 1.5 : 0.25) * (k + 1);
      if (m.id === 'E1' && ts > GAP[0] && ts < GAP[1]) continue;
      out.push({ ts, value: register, unit: m.unit });
    }
  }
  return out;
}

const ALL = new Map(METERS.map((m, k) => [m.id, readingsOf(m, k)]));
const correctedValue = (() => {
  const w = ALL.get('W1')!;
  const i = w.findIndex((r) => r.ts === CORRECTED.ts);
  // A corrected reading between its neighbours.
  return (w[i - 1]!.value + w[i]!.value) / 2;
})();
CORRECTED.value = correctedValue;

const csv = (rows: { id: string; r: RegisterReading }[]) => `meterId,ts,value,unit\n${rows.map(({ id, r }) => `${id},${new Date(r.ts).toISOString()},${r.value},${r.unit}`).join('\n')}\n`;
const isLate = (id: string, ts: number) => id === 'E2' && ts >= LATE[0] && ts < LATE[1];

/** The questions asked of every meter and building, REST paths without the prefix. */
const QUESTIONS: { interval: 'hour' | 'day' | 'month' | 'year'; from: string; to: string }[] = [
  { interval: 'hour', from: '2026-03-28', to: '2026-03-31' },
  { interval: 'hour', from: '2026-10-24', to: '2026-10-27' },
  { interval: 'day', from: '2026-03-26', to: '2026-04-04' },
  { interval: 'day', from: '2026-10-22', to: '2026-11-03' },
  { interval: 'month', from: '2026-01-01', to: '2027-01-01' },
  { interval: 'year', from: '2025-01-01', to: '2028-01-01' },
];

type Answers = Record<string, { start: string; end: string; value: number | null; estimated: boolean; unit: string }[]>;

async function ask(h: EnergyHarness): Promise<Answers> {
  const out: Answers = {};
  const targets = [...METERS.map((m) => `meters/${m.id}`), 'buildings/B1', 'buildings/B2'];
  for (const t of targets) {
    for (const q of QUESTIONS) {
      const url = `/api/v1/energy/${t}/consumption?from=${q.from}&to=${q.to}&interval=${q.interval}`;
      const res = await h.call('GET', url);
      if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${res.text}`);
      out[`${t} ${q.interval} ${q.from}`] = res.json;
    }
  }
  return out;
}

async function aggregatesOn(store: InfluxHistoryStore | undefined): Promise<{ live: Answers; rebuilt: Answers; stored: number }> {
  const h = await startEnergyHarness(store ? { store } : {});
  try {
    for (const b of ['B1', 'B2']) expect((await h.call('PUT', `/api/v1/energy/buildings/${b}`, { name: `Будівля ${b}`, type: 'school', areaM2: 1200 })).status).toBe(201);
    for (const m of METERS) await h.meter(m.id, { buildingId: m.buildingId, resource: m.resource, unit: m.unit, multiplier: m.multiplier });
    const first: { id: string; r: RegisterReading }[] = [];
    const late: { id: string; r: RegisterReading }[] = [];
    for (const [id, list] of ALL) for (const r of list) (isLate(id, r.ts) ? late : first).push({ id, r });
    // Each meter's readings in time order, meters one after another (as an export from another system comes).
    const imported = await h.call('POST', '/api/v1/energy/readings/import', csv(first));
    expect(imported.json).toMatchObject({ accepted: first.length, refused: 0 });
    const again = await h.call('POST', '/api/v1/energy/readings/import', csv([...late, { id: 'W1', r: { ts: CORRECTED.ts, value: CORRECTED.value, unit: 'm3' } }]));
    expect(again.json).toMatchObject({ accepted: late.length + 1, refused: 0 });
    const unique = first.length + late.length;
    await h.stored(unique);
    const live = await ask(h);
    // What a restored registry or the first start of the rollups finds: the history store only.
    h.db.exec('DELETE FROM energy_readings; DELETE FROM energy_hourly; DELETE FROM energy_daily; DELETE FROM energy_meters;');
    let stored = 0;
    for (const m of METERS) stored += await h.module.rebuildFromStore(m.id);
    const rebuilt = await ask(h);
    return { live, rebuilt, stored };
  } finally {
    await h.close();
  }
}

/** The register arithmetic over the final readings (the corrected one in place), rounded as the API rounds. */
function expectedOf(m: MeterSpec, q: (typeof QUESTIONS)[number]): (number | null)[] {
  const list = ALL.get(m.id)!.map((r) => (m.id === 'W1' && r.ts === CORRECTED.ts ? { ...r, value: CORRECTED.value } : r));
  const { hours } = hourlyConsumption(list, { tz: TZ, unit: m.unit, multiplier: m.multiplier });
  return sumIntervals(hours, localIntervals(q.from, q.to, q.interval, TZ)).map((v) => (v.value === null ? null : Math.round(v.value * 1e6) / 1e6));
}

let influx: RunningInfluxd;
let sqlite: Awaited<ReturnType<typeof aggregatesOn>>;
let influxdb: Awaited<ReturnType<typeof aggregatesOn>>;

beforeAll(async () => {
  influx = await startInfluxd();
  sqlite = await aggregatesOn(undefined);
  const store = new InfluxHistoryStore({ url: influx.url, database: 'energy_aggregates' });
  await store.init();
  influxdb = await aggregatesOn(store);
}, 300_000);

afterAll(async () => {
  await influx?.stop();
});

describe('energy aggregates on InfluxDB and on the embedded store', () => {
  it('every meter’s hours, days, months and years are the register arithmetic, on the embedded store', () => {
    for (const m of METERS) {
      for (const q of QUESTIONS) {
        const got = sqlite.live[`meters/${m.id} ${q.interval} ${q.from}`]!;
        expect(got.map((p) => p.value), `${m.id} ${q.interval} from ${q.from}`).toEqual(expectedOf(m, q));
      }
    }
  });

  it('local days have 23 and 25 hours on the DST days, months start at local midnight of the 1st', () => {
    const days = sqlite.live['meters/E1 day 2026-03-26']!;
    const hoursOf = (p: { start: string; end: string }) => (Date.parse(p.end) - Date.parse(p.start)) / 3_600_000;
    expect(days.map(hoursOf)).toEqual([24, 24, 24, 23, 24, 24, 24, 24, 24]);
    expect(sqlite.live['meters/E1 day 2026-10-22']!.map(hoursOf)).toEqual([24, 24, 24, 25, 24, 24, 24, 24, 24, 24, 24, 24]);
    expect(sqlite.live['meters/W1 hour 2026-10-24']).toHaveLength(24 + 25 + 24);
    expect(sqlite.live['meters/E1 hour 2026-03-28']).toHaveLength(24 + 23 + 24);
    const months = sqlite.live['meters/E2 month 2026-01-01']!;
    expect(months[3]!.start).toBe('2026-03-31T21:00:00.000Z');
    expect(months[10]!.start).toBe('2026-10-31T22:00:00.000Z');
    expect(sqlite.live['meters/E1 year 2025-01-01']!.map((p) => [p.start, p.value === null])).toEqual([
      ['2024-12-31T22:00:00.000Z', true], ['2025-12-31T22:00:00.000Z', false], ['2026-12-31T22:00:00.000Z', true],
    ]);
    // The gap across the spring jump (inside local 29 March) is estimated, the days around it are
    // not; from 2 April on the long gap to October is.
    expect(days.map((d) => d.estimated)).toEqual([false, false, false, true, false, false, false, true, true]);
    expect(days[0]!.value).toBeNull();
    // The late readings landed on both sides of the month boundary: March and April of E2 hold them.
    expect(months[2]!.value).toBe(expectedOf(METERS[1]!, QUESTIONS[4]!)[2]);
    // A building is the sum of its meters.
    const b1 = sqlite.live['buildings/B1 year 2025-01-01']!;
    const e1 = sqlite.live['meters/E1 year 2025-01-01']!;
    const e2 = sqlite.live['meters/E2 year 2025-01-01']!;
    expect(b1.map((p) => p.value)).toEqual(e1.map((p, i) => (p.value === null ? null : Math.round((p.value + e2[i]!.value!) * 1e6) / 1e6)));
  });

  it('InfluxDB gives exactly the answers of the embedded store', () => {
    expect(Object.keys(influxdb.live)).toHaveLength(QUESTIONS.length * (METERS.length + 2));
    expect(influxdb.live).toEqual(sqlite.live);
  });

  it('rollups rebuilt from either history store give the same answers as those kept as readings arrived', () => {
    const unique = [...ALL.values()].reduce((n, l) => n + l.length, 0);
    expect(sqlite.stored).toBe(unique);
    expect(influxdb.stored).toBe(unique);
    expect(sqlite.rebuilt).toEqual(sqlite.live);
    expect(influxdb.rebuilt).toEqual(sqlite.live);
  });
});
