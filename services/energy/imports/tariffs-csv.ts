/**
 * Tariffs from a CSV file, one per row, header first, columns in any order:
 *
 *     tariffId,resource,unit,priceUAH,validFrom,validTo,note,zones
 *     el-2026,electricity,kWh,4.32,2026-01-01,,for budget institutions,
 *     el-2027,electricity,kWh,4.89,2027-01-01,,,two-zone
 *     el-2028,electricity,kWh,5.00,2028-01-01,,,night 23:00-07:00 x0.5 | day 07:00-23:00 5.10
 *
 * `validTo` (exclusive) may be empty: open-ended. `zones` (electricity only) is empty for a flat
 * price, `two-zone` or `three-zone` for the regulator's zones (ZONE_PRESETS), or zones separated
 * by `|`, each `name from-to [from-to …] price`: hours `HH:00-HH:00` (or `HH-HH`) in local time,
 * the price in UAH per unit, or `x0.5` for a coefficient of `priceUAH`. A row for an id that
 * exists replaces the tariff. Pure: answered row by row (overlaps are checked when the rows are
 * applied, in order).
 */
import { z } from 'zod';
import { TariffId, TariffPut, ZONE_PRESETS, type TariffZonePut } from '../../contracts/energy.ts';
import { parseHourRange } from '../../contracts/tariff-zones.ts';
import { parseRecordCsv, type RecordRow } from './record-csv.ts';

export const TARIFF_COLUMNS = ['tariffId', 'resource', 'unit', 'priceUAH', 'validFrom', 'validTo', 'note', 'zones'] as const;

export type TariffRow = RecordRow<TariffPut>;

/** The zones of the `zones` cell, or why not (the schema checks names, hours and coverage after). */
export function zonesFromText(text: string): { zones: TariffZonePut[] } | { error: string } {
  const preset = text.trim().toLowerCase();
  if (preset === 'two-zone' || preset === 'three-zone') return { zones: ZONE_PRESETS[preset].map((zn) => ({ ...zn, hours: [...zn.hours] })) };
  const zones: TariffZonePut[] = [];
  for (const [i, part] of text.split('|').entries()) {
    const words = part.trim().split(/\s+/).filter(Boolean);
    const where = `zone ${i + 1}`;
    if (words.length < 3) return { error: `${where} ("${part.trim().slice(0, 40)}"): must be "name from-to [from-to …] price", e.g. "night 23:00-07:00 x0.5"; or two-zone, three-zone` };
    const [name, ...rest] = words as [string, ...string[]];
    const priceWord = rest.pop()!;
    const hours = [];
    for (const w of rest) {
      const range = parseHourRange(w);
      if (!range) return { error: `${where} "${name}": "${w.slice(0, 20)}" is not a range of whole hours HH:00-HH:00` };
      hours.push(range);
    }
    const coefficient = /^[x×*]/i.test(priceWord);
    const n = Number(priceWord.replace(/^[x×*]/i, '').replace(',', '.'));
    if (!Number.isFinite(n) || priceWord.replace(/^[x×*]/i, '') === '') return { error: `${where} "${name}": "${priceWord.slice(0, 20)}" is not a price (UAH) or a coefficient (x0.5)` };
    zones.push(coefficient ? { zone: name, hours, coefficient: n } : { zone: name, hours, priceUAH: n });
  }
  return { zones };
}

/** A CSV row: the `zones` cell read from its text, then the tariff checked as the REST body is. */
const CsvTariff = z.record(z.string(), z.unknown()).transform((row, ctx) => {
  const { zones: text, ...rest } = row;
  let zones: TariffZonePut[] | undefined;
  if (typeof text === 'string') {
    const parsed = zonesFromText(text);
    if ('error' in parsed) {
      ctx.addIssue({ code: 'custom', path: ['zones'], message: parsed.error });
      return z.NEVER;
    }
    zones = parsed.zones;
  }
  const checked = TariffPut.safeParse(zones ? { ...rest, zones } : rest);
  if (!checked.success) {
    for (const issue of checked.error.issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    return z.NEVER;
  }
  return checked.data;
});

export const parseTariffsCsv = (text: string): TariffRow[] =>
  parseRecordCsv(text, { columns: TARIFF_COLUMNS, required: ['tariffId', 'resource', 'unit', 'priceUAH', 'validFrom'], numeric: new Set(['priceUAH']), id: TariffId, record: CsvTariff });
