/**
 * The tariff editor's time-of-day zones and a building's month cost by zone. Pure helpers (hours
 * text ⇄ ranges, which field a server issue names) and the DOM pieces the analysis view uses.
 */
import type { BuildingCost, Tariff } from '../../services/contracts/energy.ts';
import { parseHourRange, ZONE_PRESETS, type ZoneHours } from '../../services/contracts/tariff-zones.ts';
import { fmtNumber } from '../shared/format.ts';
import { isMsgKey, t, type MsgKey } from '../shared/i18n.ts';

export type Zoning = 'flat' | 'two-zone' | 'three-zone' | 'own';

/** `08:00-11:00, 20:00-22:00` → ranges; undefined when the text is not such a list. */
export function parseHours(text: string): ZoneHours[] | undefined {
  const parts = text.split(/[,;]/).map((p) => p.trim()).filter(Boolean);
  if (parts.length === 0) return undefined;
  const out: ZoneHours[] = [];
  for (const p of parts) {
    const range = parseHourRange(p);
    if (!range) return undefined;
    out.push(range);
  }
  return out;
}

export const formatHours = (hours: readonly ZoneHours[]): string => hours.map((h) => `${h.from}-${h.to}`).join(', ');

/** A zone's name in the page's language when it is one of the usual ones. */
export function zoneLabel(zone: string | null): string {
  const key = `energy.zone.${zone ?? 'flat'}`;
  return isMsgKey(key) ? t(key) : (zone ?? '');
}

/**
 * The id of the element under which a server issue's field is shown: `zones.1.hours.0.from` →
 * the hours of the second zone row; `zones` → the zones fieldset; `priceUAH` → the price.
 */
export function errorSlotOf(field: string): string {
  const zone = /^zones\.(\d+)\.(zone|hours|coefficient|priceUAH)/.exec(field);
  if (zone) return `zone-${zone[1]}-${zone[2] === 'zone' ? 'name' : zone[2] === 'hours' ? 'hours' : 'coefficient'}-error`;
  if (field.startsWith('zones')) return 'tariff-zones-error';
  const top: Record<string, string> = { priceUAH: 'tariff-price-error', validFrom: 'tariff-from-error', validTo: 'tariff-to-error', unit: 'tariff-unit-error', resource: 'tariff-unit-error', tariffId: 'tariff-id-error' };
  return top[field] ?? 'tariff-zones-error';
}

/** One editable zone row's values. */
export interface ZoneRowValue {
  zone: string;
  hours: string;
  coefficient: string;
}

/** The rows of a preset. */
export const presetRows = (preset: 'two-zone' | 'three-zone'): ZoneRowValue[] =>
  ZONE_PRESETS[preset].map((z) => ({ zone: z.zone, hours: formatHours(z.hours), coefficient: String(z.coefficient ?? 1) }));

/** The rows of a kept tariff (a zone given its own price shows as its coefficient of the tariff's price). */
export const tariffRows = (x: Tariff): ZoneRowValue[] =>
  (x.zones ?? []).map((z) => ({ zone: z.zone, hours: formatHours(z.hours), coefficient: String(z.coefficient ?? (x.priceUAH > 0 ? Math.round((z.priceUAH / x.priceUAH) * 1e4) / 1e4 : 1)) }));

/** Which preset the rows are, or `own`. */
export function zoningOf(rows: readonly ZoneRowValue[]): Zoning {
  if (rows.length === 0) return 'flat';
  for (const p of ['two-zone', 'three-zone'] as const) {
    const preset = presetRows(p);
    if (preset.length === rows.length && preset.every((r, i) => r.zone === rows[i]!.zone && r.hours === rows[i]!.hours && Number(r.coefficient) === Number(rows[i]!.coefficient))) return p;
  }
  return 'own';
}

/** The tariffs table's line of zones: `ніч 23:00-07:00 2,25 · день 07:00-23:00 4,5`. */
export const zonesLine = (x: Tariff): string => (x.zones ?? []).map((z) => `${zoneLabel(z.zone)} ${formatHours(z.hours)}: ${fmtNumber(z.priceUAH, 4)}`).join(' · ');

/** A building's month cost, resource by resource, a row per zone then the total. */
export function renderBuildingCost(body: HTMLTableSectionElement, data: BuildingCost): void {
  body.replaceChildren();
  const cell = (tr: HTMLTableRowElement, text: string, className = '') => {
    const td = tr.insertCell();
    td.textContent = text;
    if (className) td.className = className;
  };
  for (const r of data.resources) {
    const unit = t(`unit.${r.unit}` as MsgKey);
    const resource = r.resource ? t(`energy.resource.${r.resource}` as MsgKey) : '—';
    for (const z of r.zones) {
      const tr = body.insertRow();
      tr.dataset.resource = r.resource ?? '';
      tr.dataset.zone = z.zone ?? 'flat';
      cell(tr, resource);
      cell(tr, zoneLabel(z.zone));
      cell(tr, `${fmtNumber(z.value, 1)} ${unit}`, 'num');
      cell(tr, fmtNumber(z.costUAH, 2), 'num');
    }
    if (r.unpriced > 0) {
      const tr = body.insertRow();
      tr.dataset.resource = r.resource ?? '';
      tr.dataset.zone = 'unpriced';
      cell(tr, resource);
      cell(tr, zoneLabel('unpriced'));
      cell(tr, `${fmtNumber(r.unpriced, 1)} ${unit}`, 'num');
      cell(tr, '—', 'num');
    }
    const total = body.insertRow();
    total.dataset.resource = r.resource ?? '';
    total.dataset.zone = 'total';
    cell(total, resource);
    cell(total, t('energy.total'));
    cell(total, r.value === null ? '—' : `${fmtNumber(r.value, 1)} ${unit}`, 'num');
    cell(total, r.costUAH === null ? '—' : fmtNumber(r.costUAH, 2), 'num');
  }
}
