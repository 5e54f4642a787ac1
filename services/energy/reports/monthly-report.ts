/**
 * The monthly report of buildings and of the city: per building and resource the month's
 * consumption, the same month a year earlier, what the degree-day baseline expected (heat and
 * gas), kWh/m², the cost by the tariffs and the month's anomalies; then the city's total per
 * resource and unit.
 */
import { DateTime } from 'luxon';
import type { Device } from '../../contracts/devices.ts';
import type { BuildingType, EnergyResource, EnergyUnit } from '../../contracts/energy.ts';
import type { AnomalyRepository } from '../anomalies/anomaly-repository.ts';
import { changePct, toKwh, total } from '../baseline/indicators.ts';
import type { BuildingRecord } from '../buildings/building-repository.ts';
import { LocalTimeError, localMidnight, type TimeSpan } from '../consumption/local-time.ts';
import type { ConsumptionQuery } from '../rollups/consumption-query.ts';
import { roundUAH } from '../tariffs/pricing.ts';

export interface ReportRow {
  buildingId: string | null;
  name: string;
  type: BuildingType | null;
  areaM2: number | null;
  resource: EnergyResource | null;
  unit: EnergyUnit;
  value: number | null;
  estimated: boolean;
  /** UAH by the tariffs; null when a day with consumption has no tariff */
  costUAH: number | null;
  lastYear: number | null;
  changePct: number | null;
  expected: number | null;
  deviationPct: number | null;
  kWhPerM2: number | null;
  anomalies: number | null;
}

export const MONTH_RE = /^\d{4}-(0[1-9]|1[0-2])$/;

/** The local month `YYYY-MM` as local dates: [first, first of next), and the same a year before. */
export function monthDates(month: string, tz: string): { from: string; to: string; lastFrom: string; lastTo: string } {
  if (!MONTH_RE.test(month)) throw new LocalTimeError('month', `must be a month YYYY-MM, got "${month.slice(0, 20)}"`);
  const first = DateTime.fromISO(`${month}-01`, { zone: tz });
  const d = (x: DateTime) => x.toISODate()!;
  return { from: d(first), to: d(first.plus({ months: 1 })), lastFrom: d(first.minus({ years: 1 })), lastTo: d(first.minus({ years: 1 }).plus({ months: 1 })) };
}

export interface ReportDeps {
  tz: string;
  consumption: ConsumptionQuery;
  anomalies: AnomalyRepository;
  metersOf(buildingId: string): Device[];
  /** what the baseline expects for a building's resource over the dates, or null */
  expectedOf(building: BuildingRecord, resource: EnergyResource, from: string, to: string): number | null;
}

export function monthlyReport(deps: ReportDeps, buildings: readonly BuildingRecord[], month: string, withCity: boolean): ReportRow[] {
  const { from, to, lastFrom, lastTo } = monthDates(month, deps.tz);
  const span: TimeSpan[] = [{ start: localMidnight(from, deps.tz), end: localMidnight(to, deps.tz) }];
  const lastSpan: TimeSpan[] = [{ start: localMidnight(lastFrom, deps.tz), end: localMidnight(lastTo, deps.tz) }];
  const rows: ReportRow[] = [];
  const city = new Map<string, ReportRow>();
  /** city rows some building's consumption of which has no tariff: no city cost (not a partial sum) */
  const unpriced = new Set<string>();
  for (const b of buildings) {
    const meters = deps.metersOf(b.buildingId);
    const lastYear = new Map(deps.consumption.groups(meters, lastSpan, 'day').map((g) => [`${g.resource}|${g.unit}`, total(g.values).value]));
    const anomalies = deps.anomalies.list({ buildingId: b.buildingId, from: span[0]!.start, to: span[0]!.end }).length;
    for (const g of deps.consumption.groups(meters, span, 'day')) {
      const now = total(g.values);
      const before = lastYear.get(`${g.resource}|${g.unit}`) ?? null;
      const expected = g.resource === 'heat' || g.resource === 'gas' ? deps.expectedOf(b, g.resource, from, to) : null;
      const kwh = now.value === null ? undefined : toKwh(now.value, g.unit, g.resource);
      rows.push({
        buildingId: b.buildingId, name: b.name, type: b.type, areaM2: b.areaM2, resource: g.resource, unit: g.unit,
        value: now.value, estimated: now.estimated, costUAH: roundUAH(g.costs[0]!), lastYear: before, changePct: changePct(now.value, before),
        expected, deviationPct: changePct(now.value, expected), kWhPerM2: kwh === undefined ? null : kwh / b.areaM2, anomalies,
      });
      const key = `${g.resource}|${g.unit}`;
      const c = city.get(key) ?? { buildingId: null, name: '', type: null, areaM2: null, resource: g.resource, unit: g.unit, value: null, estimated: false, costUAH: null, lastYear: null, changePct: null, expected: null, deviationPct: null, kWhPerM2: null, anomalies: null };
      if (now.value !== null) c.value = (c.value ?? 0) + now.value;
      if (g.costs[0] !== null) c.costUAH = (c.costUAH ?? 0) + g.costs[0]!;
      else if (now.value !== null) unpriced.add(key);
      if (before !== null) c.lastYear = (c.lastYear ?? 0) + before;
      c.estimated ||= now.estimated;
      city.set(key, c);
    }
  }
  if (withCity) {
    for (const key of [...city.keys()].sort()) {
      const c = city.get(key)!;
      rows.push({ ...c, costUAH: unpriced.has(key) ? null : roundUAH(c.costUAH), changePct: changePct(c.value, c.lastYear) });
    }
  }
  return rows;
}

const TYPE_UK: Record<BuildingType, string> = { school: 'школа', kindergarten: 'дитячий садок', hospital: 'лікарня', office: 'адміністративна будівля', other: 'інше' };
const RESOURCE_UK: Record<EnergyResource, string> = { electricity: 'електроенергія', heat: 'теплова енергія', gas: 'природний газ', water: 'вода' };
const UNIT_UK: Record<EnergyUnit, string> = { kWh: 'кВт·год', m3: 'м³', Gcal: 'Гкал', GJ: 'ГДж' };

export const REPORT_HEADER_UK = [
  'Код будівлі', 'Назва', 'Тип', 'Опалювана площа, м²', 'Ресурс', 'Одиниця', 'Спожито за місяць', 'Є оцінені дані', 'Вартість, грн',
  'Той самий місяць минулого року', 'Зміна до минулого року, %', 'Очікувано за базовою лінією', 'Відхилення від базової лінії, %',
  'кВт·год/м²', 'Аномалій за місяць',
];

/** Report rows as cells under REPORT_HEADER_UK; the city's rows are named «Місто (усього)». */
export function reportCells(rows: readonly ReportRow[]): (string | number | boolean | null)[][] {
  return rows.map((r) => [
    r.buildingId ?? '', r.buildingId === null ? 'Місто (усього)' : r.name, r.type ? TYPE_UK[r.type] : '', r.areaM2,
    r.resource ? RESOURCE_UK[r.resource] : '', UNIT_UK[r.unit], r.value, r.estimated, r.costUAH, r.lastYear, r.changePct, r.expected, r.deviationPct, r.kWhPerM2, r.anomalies,
  ]);
}
