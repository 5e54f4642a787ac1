/**
 * Tariffs and cost. A tariff is the price in UAH of one unit of a resource over local dates
 * [validFrom, validTo); tariffs of one resource never overlap. The cost of an interval is the sum,
 * over the rolled-up hours or days inside it, of the consumption × the price of the tariff in force
 * at the start of that hour or day (tariffs change at local midnight, so a day has one flat price).
 * A time-of-day (zone) tariff prices each real hour by the zone its local clock hour is in: a
 * 25-hour day's repeated 03:00 is two night hours, a 23-hour day has no 03:00; days priced by
 * zones must be costed from their hours (`pricedByHour`).
 * Pure: the time zone comes in, nothing is read.
 */
import type { EnergyResource, EnergyUnit, ZoneHours } from '../../contracts/energy.ts';
import { GAS_KWH_PER_M3 } from '../baseline/indicators.ts';
import { HOUR_MS, localMidnight, offsetMs, type TimeSpan } from '../consumption/local-time.ts';
import { convertUnit, type HourValue } from '../consumption/registers.ts';

/** A zone of a time-of-day tariff: its local hours and its own price or a coefficient of the tariff's. */
export interface ZoneTerms {
  zone: string;
  hours: readonly ZoneHours[];
  priceUAH?: number | undefined;
  coefficient?: number | null | undefined;
}

export interface TariffTerms {
  tariffId: string;
  resource: EnergyResource;
  unit: EnergyUnit;
  /** flat: UAH per unit; with zones, what their coefficients multiply */
  priceUAH: number;
  /** local date, inclusive */
  validFrom: string;
  /** local date, exclusive; null: open-ended */
  validTo: string | null;
  /** time-of-day zones covering the 24 local hours; absent or null: one price all day */
  zones?: readonly ZoneTerms[] | null | undefined;
}

/** UAH per unit (of the tariff's unit) in a zone. */
export const zonePriceUAH = (t: Pick<TariffTerms, 'priceUAH'>, z: ZoneTerms): number => z.priceUAH ?? (z.coefficient ?? 1) * t.priceUAH;

/** The zone (index into `zones`) of each local clock hour 0–23; -1 where none is. */
export function zoneOfClockHour(zones: readonly ZoneTerms[]): number[] {
  const table = Array.from({ length: 24 }, () => -1);
  zones.forEach((z, i) => {
    for (const h of z.hours) {
      const from = Number(h.from.slice(0, 2)) % 24;
      const span = (Number(h.to.slice(0, 2)) - from + 24) % 24;
      for (let k = 0; k < span; k++) table[(from + k) % 24] = i;
    }
  });
  return table;
}

/** The local clock hour (0–23) of the hour starting at the instant: 3 for both 03:00 of a fall-back day. */
export function localClockHour(ms: number, tz: string): number {
  const local = ms + offsetMs(ms, tz);
  return Math.floor((((local % 86_400_000) + 86_400_000) % 86_400_000) / HOUR_MS);
}

const OPEN_END = '9999-12-31';

/** The tariff of the same resource whose dates overlap the candidate's (another id), if any. */
export function overlappingTariff<T extends TariffTerms>(existing: readonly T[], candidate: TariffTerms): T | undefined {
  const end = candidate.validTo ?? OPEN_END;
  return existing.find(
    (t) => t.tariffId !== candidate.tariffId && t.resource === candidate.resource && t.validFrom < end && candidate.validFrom < (t.validTo ?? OPEN_END),
  );
}

/**
 * How many `to` units one `from` unit of the resource is: 1 for the same unit, the energy
 * conversions (kWh, Gcal, GJ), gas m3 ↔ kWh at GAS_KWH_PER_M3; undefined when they do not match.
 */
export function unitFactor(from: EnergyUnit, to: EnergyUnit, resource: EnergyResource | null): number | undefined {
  if (from === to) return 1;
  if (resource === 'gas' && from === 'm3') return convertUnit(GAS_KWH_PER_M3, 'kWh', to);
  if (resource === 'gas' && to === 'm3') {
    const kwh = convertUnit(1, from, 'kWh');
    return kwh === undefined ? undefined : kwh / GAS_KWH_PER_M3;
  }
  if (from === 'm3' || to === 'm3') return undefined;
  return convertUnit(1, from, to);
}

interface PricePeriod {
  start: number;
  end: number;
  /** UAH per unit of the consumption asked about (flat) */
  price: number;
  /** with zones: the zone's name and price per unit asked about, for each local clock hour */
  byHour: { zone: string; price: number }[] | null;
}

/** UAH per unit of consumption at an instant, or undefined when no tariff is in force. */
export type PriceAt = (ms: number) => number | undefined;

/** The zone and price of the hour starting at an instant (zone null: a flat price), or undefined when no tariff is in force. */
export type ZonePriceAt = (ms: number) => { zone: string | null; price: number } | undefined;

function periodsOf(tariffs: readonly TariffTerms[], resource: EnergyResource | null, unit: EnergyUnit, tz: string): PricePeriod[] {
  const periods: PricePeriod[] = [];
  for (const t of tariffs) {
    if (t.resource !== resource) continue;
    const factor = unitFactor(unit, t.unit, resource);
    if (factor === undefined) continue;
    let byHour: PricePeriod['byHour'] = null;
    if (t.zones?.length) {
      const zones = t.zones;
      const table = zoneOfClockHour(zones);
      // A zone table with a hole is refused at the door; if one came in anyway its hours are unpriced.
      byHour = table.map((i) => (i < 0 ? { zone: '', price: Number.NaN } : { zone: zones[i]!.zone, price: zonePriceUAH(t, zones[i]!) * factor }));
    }
    periods.push({ start: localMidnight(t.validFrom, tz), end: t.validTo ? localMidnight(t.validTo, tz) : Infinity, price: t.priceUAH * factor, byHour });
  }
  return periods.sort((a, b) => a.start - b.start);
}

/**
 * The zone and price of each hour of consumption of `resource` counted in `unit`, from the
 * resource's tariffs (a tariff in another unit is converted; one that cannot be is left out).
 * Asked about a day's start, a zone tariff answers the zone of 00:00: cost days from their hours
 * where `pricedByHour` says so.
 */
export function zonePriceFor(tariffs: readonly TariffTerms[], resource: EnergyResource | null, unit: EnergyUnit, tz: string): ZonePriceAt {
  const periods = periodsOf(tariffs, resource, unit, tz);
  return (ms) => {
    for (const p of periods) {
      if (p.start <= ms && ms < p.end) {
        if (!p.byHour) return { zone: null, price: p.price };
        const z = p.byHour[localClockHour(ms, tz)]!;
        return Number.isNaN(z.price) ? undefined : z;
      }
    }
    return undefined;
  };
}

/** The price function of consumption of `resource` counted in `unit` (see zonePriceFor). */
export function priceFor(tariffs: readonly TariffTerms[], resource: EnergyResource | null, unit: EnergyUnit, tz: string): PriceAt {
  const at = zonePriceFor(tariffs, resource, unit, tz);
  return (ms) => at(ms)?.price;
}

/** Whether a tariff of the resource with zones is in force somewhere in [start, end): its cost must be summed from hours, not days. */
export function pricedByHour(tariffs: readonly TariffTerms[], resource: EnergyResource | null, start: number, end: number, tz: string): boolean {
  return tariffs.some((t) => t.resource === resource && !!t.zones?.length && localMidnight(t.validFrom, tz) < end && (t.validTo === null || start < localMidnight(t.validTo, tz)));
}

export interface ZoneCostFigures {
  /** per zone name in order of first appearance; zone null: hours at a flat price */
  zones: { zone: string | null; value: number; costUAH: number }[];
  /** consumption in hours no tariff covers */
  unpriced: number;
  /** the whole span's cost, null when some consumption is unpriced or there is none */
  costUAH: number | null;
  value: number | null;
}

/** A span's consumption and cost by zone, from its rolled-up hours (in time order). */
export function costByZone(hours: readonly HourValue[], span: TimeSpan, zoneAt: ZonePriceAt): ZoneCostFigures {
  const zones = new Map<string | null, { zone: string | null; value: number; costUAH: number }>();
  let unpriced = 0;
  let value: number | null = null;
  for (const h of hours) {
    if (h.start < span.start || h.start >= span.end) continue;
    value = (value ?? 0) + h.value;
    const p = zoneAt(h.start);
    if (!p) {
      unpriced += h.value;
      continue;
    }
    const z = zones.get(p.zone) ?? { zone: p.zone, value: 0, costUAH: 0 };
    z.value += h.value;
    z.costUAH += h.value * p.price;
    zones.set(p.zone, z);
  }
  const list = [...zones.values()];
  const cost = value === null || unpriced !== 0 ? null : list.reduce((s, z) => s + z.costUAH, 0);
  return { zones: list, unpriced, costUAH: cost, value };
}

/**
 * The cost of each span from the rolled-up hours or days inside it (both in time order): null for
 * a span with no consumption, or with consumption on a day no tariff covers (not a partial sum).
 */
export function costOfSpans(rows: readonly HourValue[], spans: readonly TimeSpan[], priceAt: PriceAt): (number | null)[] {
  const out: (number | null)[] = [];
  let i = 0;
  for (const span of spans) {
    while (i < rows.length && rows[i]!.start < span.start) i++;
    let cost: number | null = null;
    let unpriced = false;
    for (let j = i; j < rows.length && rows[j]!.start < span.end; j++) {
      const price = priceAt(rows[j]!.start);
      if (price === undefined) {
        if (rows[j]!.value !== 0) unpriced = true;
        continue;
      }
      cost = (cost ?? 0) + rows[j]!.value * price;
    }
    out.push(unpriced ? null : cost);
  }
  return out;
}

/** Adds costs of several meters' spans: null where a meter with consumption has no cost. */
export function addCosts(costs: readonly (readonly (number | null)[])[], hasValue: readonly (readonly boolean[])[]): (number | null)[] {
  if (costs.length === 0) return [];
  return costs[0]!.map((_, i) => {
    let sum: number | null = null;
    for (let m = 0; m < costs.length; m++) {
      const c = costs[m]![i]!;
      if (c === null) {
        if (hasValue[m]![i]) return null;
        continue;
      }
      sum = (sum ?? 0) + c;
    }
    return sum;
  });
}

/** Money rounded to the kopiyka. */
export const roundUAH = (v: number | null): number | null => (v === null ? null : Math.round(v * 100) / 100);
