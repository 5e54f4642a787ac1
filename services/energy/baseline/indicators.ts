/** Energy indicators: kWh of each resource, day pairs for the baseline, percentage changes. Pure. */
import type { EnergyResource, EnergyUnit } from '../../contracts/energy.ts';
import { convertUnit, type IntervalValue } from '../consumption/registers.ts';
import type { DayDegree } from './degree-days.ts';
import type { DayPoint } from './regression.ts';

/** Net calorific value of natural gas as Ukrainian suppliers bill it (≈ 33.5 MJ/m³). */
export const GAS_KWH_PER_M3 = 9.3;

/** The consumption in kWh when it is energy (gas by volume too); undefined for water. */
export function toKwh(value: number, unit: EnergyUnit, resource: EnergyResource | null): number | undefined {
  if (resource === 'water') return undefined;
  if (unit === 'm3') return resource === 'gas' ? value * GAS_KWH_PER_M3 : undefined;
  return convertUnit(value, unit, 'kWh');
}

/** Days with a measured (not estimated) consumption and a degree-day figure, for fitting. */
export function pairDays(days: readonly IntervalValue[], hdd: readonly DayDegree[]): DayPoint[] {
  const byStart = new Map(hdd.map((d) => [d.start, d.hdd]));
  const out: DayPoint[] = [];
  for (const d of days) {
    const h = byStart.get(d.start);
    if (d.value !== null && !d.estimated && h !== undefined) out.push({ start: d.start, hdd: h, value: d.value });
  }
  return out;
}

/** Sum of the intervals with data (null when none has), and whether any is estimated or missing. */
export function total(values: readonly IntervalValue[]): { value: number | null; estimated: boolean } {
  let value: number | null = null;
  let estimated = false;
  for (const v of values) {
    if (v.value === null) {
      if (value !== null) estimated = true;
      continue;
    }
    value = (value ?? 0) + v.value;
    estimated ||= v.estimated;
  }
  return { value, estimated };
}

/** (actual − reference) / reference in %, or null when either is missing or the reference is 0. */
export function changePct(actual: number | null, reference: number | null): number | null {
  if (actual === null || reference === null || reference === 0) return null;
  return ((actual - reference) / reference) * 100;
}
