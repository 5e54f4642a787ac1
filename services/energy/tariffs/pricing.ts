/**
 * Tariffs and cost. A tariff is the price in UAH of one unit of a resource over local dates
 * [validFrom, validTo); tariffs of one resource never overlap. The cost of an interval is the sum,
 * over the rolled-up hours or days inside it, of the consumption × the price of the tariff in force
 * at the start of that hour or day (tariffs change at local midnight, so a day has one price).
 * Pure: the zone comes in, nothing is read.
 */
import type { EnergyResource, EnergyUnit } from '../../contracts/energy.ts';
import { GAS_KWH_PER_M3 } from '../baseline/indicators.ts';
import { localMidnight, type TimeSpan } from '../consumption/local-time.ts';
import { convertUnit, type HourValue } from '../consumption/registers.ts';

export interface TariffTerms {
  tariffId: string;
  resource: EnergyResource;
  unit: EnergyUnit;
  priceUAH: number;
  /** local date, inclusive */
  validFrom: string;
  /** local date, exclusive; null: open-ended */
  validTo: string | null;
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
  /** UAH per unit of the consumption asked about */
  price: number;
}

/** UAH per unit of consumption at an instant, or undefined when no tariff is in force. */
export type PriceAt = (ms: number) => number | undefined;

/**
 * The price function of consumption of `resource` counted in `unit`, from the resource's tariffs
 * (a tariff in another unit is converted; one that cannot be is left out).
 */
export function priceFor(tariffs: readonly TariffTerms[], resource: EnergyResource | null, unit: EnergyUnit, tz: string): PriceAt {
  const periods: PricePeriod[] = [];
  for (const t of tariffs) {
    if (t.resource !== resource) continue;
    const factor = unitFactor(unit, t.unit, resource);
    if (factor === undefined) continue;
    periods.push({ start: localMidnight(t.validFrom, tz), end: t.validTo ? localMidnight(t.validTo, tz) : Infinity, price: t.priceUAH * factor });
  }
  periods.sort((a, b) => a.start - b.start);
  return (ms) => {
    for (const p of periods) if (p.start <= ms && ms < p.end) return p.price;
    return undefined;
  };
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
