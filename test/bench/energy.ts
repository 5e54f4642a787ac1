/**
 * `npm run bench:energy`: a year of 15-minute register readings of 1,000 meters (35 million
 * readings) loaded into each history store (the embedded SQLite store and InfluxDB), then the
 * city's monthly report and one building's year of daily totals, timed (issue 11, item 10).
 *
 * The load goes through the code the hub runs for every accepted reading, without MQTT and the
 * spool (35 million messages over the broker would take hours on a shared 2-core machine):
 * `toHistoryPoint` and the history store's `write` in batches of its `maxBatch` (what the history
 * writer does), then the energy module's `onAccepted` (live meters + rollup queue) and its
 * `flush` (the rollup updater), a day of the city's readings per batch (at the hub's ingest rate
 * of ~30k readings/s that is about what one rollup flush, every second, holds per meter times
 * three). The queries go through the REST routes (fastify inject), as a browser would ask.
 *
 * Options: --meters N (default 1000), --days N (default 365), --stores sqlite,influxdb,
 * --per-building N (meters per building, default 4: electricity, heat, gas, water).
 * Prints a table and one JSON line.
 */
import { readdirSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { DeviceMessage, EnergyResource, EnergyUnit } from '../../services/contracts/index.ts';
import { localDate, localMidnight, nextDayStart } from '../../services/energy/consumption/local-time.ts';
import { toHistoryPoint } from '../../services/ingest/history-points.ts';
import type { HistoryPoint, HistoryStore } from '../../services/store/history-store.ts';
import { InfluxHistoryStore } from '../../services/store/influx-store.ts';
import { rng } from '../../simulators/city/random.ts';
import { startEnergyHarness, type EnergyHarness } from '../energy/harness.ts';
import { startInfluxd, type RunningInfluxd } from '../support/influxd.ts';
import { fmt, table } from './format.ts';
import { readProc } from './procstat.ts';

const TZ = 'Europe/Kyiv';
const USAGE = `npm run bench:energy -- [--meters N] [--days N] [--stores sqlite,influxdb] [--per-building N]`;

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) {
    console.error(`--${name}: must be a whole number ≥ 1, got "${process.argv[i + 1] ?? ''}"\n${USAGE}`);
    process.exit(2);
  }
  return v;
}
if (process.argv.includes('--help')) {
  console.log(USAGE);
  process.exit(0);
}
const METERS = arg('meters', 1000);
const DAYS = arg('days', 365);
const PER_BUILDING = arg('per-building', 4);
const storesArg = process.argv.indexOf('--stores') >= 0 ? process.argv[process.argv.indexOf('--stores') + 1] ?? '' : 'sqlite,influxdb';
const STORES = storesArg.split(',').filter(Boolean);
for (const s of STORES) {
  if (s !== 'sqlite' && s !== 'influxdb') {
    console.error(`--stores: "${s}" is no store (sqlite, influxdb)\n${USAGE}`);
    process.exit(2);
  }
}

const FIRST_DATE = '2026-01-01';
const START = localMidnight(FIRST_DATE, TZ);
const STEP_MS = 15 * 60_000;
const RESOURCES: { resource: EnergyResource; unit: EnergyUnit; kwPerM2: number }[] = [
  { resource: 'electricity', unit: 'kWh', kwPerM2: 0.012 },
  { resource: 'heat', unit: 'kWh', kwPerM2: 0.03 },
  { resource: 'gas', unit: 'm3', kwPerM2: 0.002 },
  { resource: 'water', unit: 'm3', kwPerM2: 0.0002 },
];

interface MeterPlan { id: string; buildingId: string; resource: EnergyResource; unit: EnergyUnit; ratePerStep: number; start: number }

const buildings = Math.ceil(METERS / PER_BUILDING);
const bid = (b: number) => `B${String(b + 1).padStart(4, '0')}`;
const plan: MeterPlan[] = [];
{
  const r = rng(11);
  for (let m = 0; m < METERS; m++) {
    const b = Math.floor(m / PER_BUILDING);
    const kind = RESOURCES[m % PER_BUILDING % RESOURCES.length]!;
    const area = 800 + Math.floor(r() * 4000);
    plan.push({ id: `M${String(m + 1).padStart(5, '0')}`, buildingId: bid(b), resource: kind.resource, unit: kind.unit, ratePerStep: (kind.kwPerM2 * area) / 4, start: Math.round(r() * 500_000) });
  }
}

/** A day's readings, every meter every 15 minutes, in time order (as they arrive). */
function dayReadings(dayStartMs: number, dayEndMs: number, registers: Float64Array, r: () => number): DeviceMessage[] {
  const out: DeviceMessage[] = [];
  for (let ts = dayStartMs; ts < dayEndMs; ts += STEP_MS) {
    const hour = ((ts - START) / 3_600_000) % 24;
    const daytime = hour >= 7 && hour < 19 ? 1.6 : 0.6;
    for (let m = 0; m < plan.length; m++) {
      const p = plan[m]!;
      registers[m] = registers[m]! + p.ratePerStep * daytime * (0.7 + 0.6 * r());
      out.push({ channel: 'energy-reading', deviceId: p.id, ts, payload: { ts, value: Math.round(registers[m]! * 1000) / 1000, unit: p.unit } });
    }
  }
  return out;
}

interface StoreResult {
  store: string;
  readings: number;
  loadS: number;
  loadPerS: number;
  storeWritePerS: number;
  rollupPerS: number;
  month: string;
  /** CPU seconds of this process (the hub's part; influxd's own CPU is not counted) */
  loadCpuS: number;
  storeWriteCpuS: number;
  rollupCpuS: number;
  monthlyReportMs: Timing;
  yearOfDaysMs: Timing;
  openDataYearMs: Timing;
  checked: boolean;
  /** influxd's own CPU seconds during the load (influxdb only) */
  serverLoadCpuS?: number;
  /** MB on disk after the load: the history store's files, and the registry database (rollups, kept readings) */
  historyMB: number;
  registryMB: number;
  /** the machine's 1-minute load average at the load's start and end */
  loadAvg: [number, number];
}

/** Bytes of the files in a folder (and its sub-folders) whose names start with `prefix`. */
function diskBytes(dir: string, prefix = ''): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) n += diskBytes(path);
    else if (e.isFile() && e.name.startsWith(prefix)) n += statSync(path).blocks * 512;
  }
  return n;
}
const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;

/** CPU milliseconds this process spent since `since` (user + system). */
const cpuMs = (since: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
};

interface Timing { first: number; median: number; cpuMedian: number }

async function timed(h: EnergyHarness, url: string): Promise<Timing & { body: unknown }> {
  const ms: number[] = [];
  const cpu: number[] = [];
  let body: unknown;
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    const c = process.cpuUsage();
    const res = await h.call('GET', url);
    ms.push(performance.now() - t);
    cpu.push(cpuMs(c));
    if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${res.text.slice(0, 300)}`);
    body = res.json ?? res.text;
  }
  const median = (xs: number[]) => Math.round([...xs].sort((a, b) => a - b)[2]!);
  return { first: Math.round(ms[0]!), median: median(ms), cpuMedian: median(cpu), body };
}

async function runOn(kind: string): Promise<StoreResult> {
  let influxd: RunningInfluxd | undefined;
  let store: HistoryStore | undefined;
  if (kind === 'influxdb') {
    influxd = await startInfluxd();
    store = new InfluxHistoryStore({ url: influxd.url, database: 'energybench' });
    await store.init();
  }
  const days: number[] = [];
  for (let d = START, i = 0; i < DAYS; i++, d = nextDayStart(d, TZ)) days.push(d);
  const end = nextDayStart(days[days.length - 1]!, TZ);
  const h = await startEnergyHarness({ ...(store ? { store } : {}), now: () => end + 3_600_000, energy: { scanEveryMs: 2 ** 31 - 1 } });
  try {
    for (let b = 0; b < buildings; b++) {
      const res = await h.call('PUT', `/api/v1/energy/buildings/${bid(b)}`, { name: `Будівля ${b + 1}`, type: (['school', 'kindergarten', 'hospital', 'office'] as const)[b % 4], areaM2: 1000 + b });
      if (res.status !== 201) throw new Error(`building ${bid(b)}: ${res.status} ${res.text}`);
    }
    for (const p of plan) await h.meter(p.id, { buildingId: p.buildingId, resource: p.resource, unit: p.unit });
    // A weather station every 15 minutes: the report's degree-day baselines have weather to work with.
    await h.devices.create({ id: 'WS1', kind: 'weather-station', protocol: 'mqtt' }, 'bench');
    const station = h.devices.get('WS1')!;
    const devices = new Map(plan.map((p) => [p.id, h.devices.get(p.id)!]));
    const registers = Float64Array.from(plan.map((p) => p.start));
    const r = rng(7);
    let storeMs = 0;
    let rollupMs = 0;
    let storeCpu = 0;
    let rollupCpu = 0;
    let readings = 0;
    const maxBatch = h.store.maxBatch;
    const load0 = loadavg()[0]!;
    const server0 = influxd?.pid() !== undefined ? readProc(influxd.pid()!)?.cpuS : undefined;
    for (let i = 0; i < days.length; i++) {
      const msgs = dayReadings(days[i]!, i + 1 < days.length ? days[i + 1]! : end, registers, r);
      let t = performance.now();
      let c = process.cpuUsage();
      // The history writer's part: points in batches of the store's maximum.
      for (let k = 0; k < msgs.length; k += maxBatch) {
        const points: HistoryPoint[] = [];
        for (const m of msgs.slice(k, k + maxBatch)) points.push(toHistoryPoint(m, devices.get(m.deviceId)!)!);
        await h.store.write(points);
      }
      storeMs += performance.now() - t;
      storeCpu += cpuMs(c);
      // The energy module's part: every accepted reading offered, then one rollup flush.
      t = performance.now();
      c = process.cpuUsage();
      for (const m of msgs) h.module.onAccepted!(m, devices.get(m.deviceId)!, m.ts);
      for (let ts = days[i]!; ts < (days[i + 1] ?? end); ts += STEP_MS) {
        const temperatureC = Math.round((8 - 12 * Math.cos((2 * Math.PI * (ts - START)) / (365 * 86_400_000)) + 4 * r()) * 10) / 10;
        h.module.keepEvent!({ channel: 'weather', deviceId: 'WS1', ts, payload: { ts, temperatureC } }, station, ts, 'device');
      }
      h.module.flush();
      rollupMs += performance.now() - t;
      rollupCpu += cpuMs(c);
      readings += msgs.length;
      if (process.stderr.isTTY || (i + 1) % 30 === 0 || i + 1 === days.length) {
        process.stderr.write(`${kind}: ${localDate(days[i]!, TZ)} ${fmt(readings)} readings, store ${fmt(storeMs / 1000, 1)} s, rollups ${fmt(rollupMs / 1000, 1)} s\n`);
      }
    }
    const load1 = loadavg()[0]!;
    const server1 = influxd?.pid() !== undefined ? readProc(influxd.pid()!)?.cpuS : undefined;
    const first = localDate(START, TZ);
    const last = localDate(end, TZ);
    // The last whole month loaded, else the first month.
    const lastMonthStart = localDate(localMidnight(`${last.slice(0, 7)}-01`, TZ), TZ);
    const month = lastMonthStart > first && localMidnight(lastMonthStart, TZ) - START >= 28 * 86_400_000 ? previousMonth(lastMonthStart.slice(0, 7)) : first.slice(0, 7);
    const report = await timed(h, `/api/v1/energy/reports/monthly.csv?month=${month}`);
    const year = await timed(h, `/api/v1/energy/buildings/${bid(0)}/consumption?from=${first}&to=${last}&interval=day`);
    const openData = await timed(h, `/open-data/energy/monthly.json?year=${first.slice(0, 4)}`);
    // The building's year of days adds up to its registers' rise, resource by resource.
    const points = year.body as { value: number | null; resource: string }[];
    let checked = true;
    for (const p of plan.filter((x) => x.buildingId === bid(0))) {
      const sum = points.filter((x) => x.resource === p.resource).reduce((s, x) => s + (x.value ?? 0), 0);
      const rise = h.devices.get(p.id) ? lastRegister(p, registers) - firstRegister(p) : 0;
      if (Math.abs(sum - rise) > 1e-3 * Math.max(1, rise) + 0.01) {
        checked = false;
        console.error(`${kind}: ${p.id} year of days ${sum} ≠ register rise ${rise}`);
      }
    }
    const loadS = (storeMs + rollupMs) / 1000;
    const historyMB = mb(influxd ? diskBytes(influxd.dir) : diskBytes(h.dataDir, 'history.sqlite'));
    const registryMB = mb(diskBytes(h.dataDir, 'registry.sqlite'));
    return {
      store: kind, readings, loadS: round1(loadS), loadPerS: Math.round(readings / loadS),
      storeWritePerS: Math.round(readings / (storeMs / 1000)), rollupPerS: Math.round(readings / (rollupMs / 1000)),
      loadCpuS: round1((storeCpu + rollupCpu) / 1000), storeWriteCpuS: round1(storeCpu / 1000), rollupCpuS: round1(rollupCpu / 1000), month,
      monthlyReportMs: strip(report), yearOfDaysMs: strip(year), openDataYearMs: strip(openData), checked,
      ...(server0 !== undefined && server1 !== undefined ? { serverLoadCpuS: round1(server1 - server0) } : {}),
      historyMB, registryMB, loadAvg: [round1(load0), round1(load1)],
    };
  } finally {
    await h.close();
    await influxd?.stop();
  }
}

const round1 = (v: number) => Math.round(v * 10) / 10;
const strip = ({ first, median, cpuMedian }: Timing): Timing => ({ first, median, cpuMedian });
function previousMonth(m: string): string {
  const [y, mo] = m.split('-').map(Number) as [number, number];
  return mo === 1 ? `${y - 1}-12` : `${y}-${String(mo - 1).padStart(2, '0')}`;
}
/** The first reading of the meter (the register after its first step), as dayReadings rounds it. */
const firstRegisterOf = new Map<string, number>();
function firstRegister(p: MeterPlan): number {
  return firstRegisterOf.get(p.id)!;
}
function lastRegister(p: MeterPlan, registers: Float64Array): number {
  return Math.round(registers[plan.indexOf(p)]! * 1000) / 1000;
}
{
  // The first reading's register, from the same generator as the load (the first day's first step).
  const regs = Float64Array.from(plan.map((p) => p.start));
  const msgs = dayReadings(START, START + STEP_MS, regs, rng(7));
  for (const m of msgs) if (m.channel === 'energy-reading') firstRegisterOf.set(m.deviceId, m.payload.value);
}

const results: StoreResult[] = [];
const started = performance.now();
for (const kind of STORES) results.push(await runOn(kind));
const ms = (x: Timing) => `${fmt(x.first)} / ${fmt(x.median)} / ${fmt(x.cpuMedian)}`;
console.log(`\n${fmt(METERS)} meters in ${fmt(buildings)} buildings, ${DAYS} days of 15-minute readings from ${FIRST_DATE} (${TZ})`);
console.log("load: wall seconds and readings/s; in brackets the CPU seconds of this process (and influxd's own) and readings per CPU second of this process");
console.log('queries (REST, fastify inject): first / median of 5 / median CPU, ms\n');
console.log(
  table([
    ['store', 'readings', 'load s', 'load readings/s', 'store write/s', 'rollups/s', 'monthly report (city)', "a building's year of days", 'open data, a year', 'totals check', 'disk MB: history + registry', 'load avg'],
    ...results.map((r) => [
      r.store, fmt(r.readings), `${fmt(r.loadS, 1)} (${fmt(r.loadCpuS, 1)}${r.serverLoadCpuS !== undefined ? ` + influxd ${fmt(r.serverLoadCpuS, 1)}` : ''})`, fmt(r.loadPerS),
      `${fmt(r.storeWritePerS)} (${fmt(r.readings / r.storeWriteCpuS)})`, `${fmt(r.rollupPerS)} (${fmt(r.readings / r.rollupCpuS)})`,
      `${r.month}: ${ms(r.monthlyReportMs)}`, ms(r.yearOfDaysMs), ms(r.openDataYearMs), r.checked ? 'ok' : 'FAILED',
      `${fmt(r.historyMB)} + ${fmt(r.registryMB)}`, `${r.loadAvg[0]} → ${r.loadAvg[1]}`,
    ]),
  ]),
);
console.log(JSON.stringify({ bench: 'energy', meters: METERS, buildings, days: DAYS, seconds: Math.round((performance.now() - started) / 1000), results }));
if (results.some((r) => !r.checked)) process.exitCode = 1;
