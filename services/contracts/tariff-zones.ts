/**
 * Time-of-day zones of electricity tariffs: the regulator's presets and the coverage rule, without
 * zod (the energy page bundles this file; energy.ts holds the schemas and re-exports these).
 */

/** Local clock hours [from, to) of a zone (`HH:00`); `to` before `from` runs over midnight (23:00–07:00). */
export interface ZoneHours {
  from: string;
  to: string;
}

/** A zone as given: its hours and its own price per unit or a coefficient of the tariff's price. */
export interface TariffZonePut {
  zone: string;
  hours: ZoneHours[];
  priceUAH?: number | undefined;
  coefficient?: number | undefined;
}

/** One range of whole hours as people write it, `23:00-07:00` or `23-07`; undefined when it is not one. */
export function parseHourRange(text: string): ZoneHours | undefined {
  const m = /^(\d{1,2})(?::00)?\s*[-–—]\s*(\d{1,2})(?::00)?$/.exec(text.trim());
  return m ? { from: `${m[1]!.padStart(2, '0')}:00`, to: `${m[2]!.padStart(2, '0')}:00` } : undefined;
}

const hourOf = (hhmm: string): number => Number(hhmm.slice(0, 2));

/**
 * Where zones' hours do not cover each local hour of the day exactly once: the first problem, with
 * the path of the field it is about, or undefined. Pure (the schema and the page both ask).
 */
export function zoneCoverageProblem(zones: readonly { zone: string; hours: readonly ZoneHours[] }[]): { path: (string | number)[]; message: string } | undefined {
  const owner: (string | undefined)[] = Array.from({ length: 24 }, () => undefined);
  const names = new Set<string>();
  for (const [i, zn] of zones.entries()) {
    if (names.has(zn.zone)) return { path: [i, 'zone'], message: `zone "${zn.zone}" is named twice` };
    names.add(zn.zone);
    for (const [j, h] of zn.hours.entries()) {
      const from = hourOf(h.from) % 24;
      const span = (hourOf(h.to) - from + 24) % 24;
      for (let k = 0; k < span; k++) {
        const hr = (from + k) % 24;
        if (owner[hr] !== undefined) return { path: [i, 'hours', j, 'from'], message: `the hour ${String(hr).padStart(2, '0')}:00 is already in zone "${owner[hr]}"` };
        owner[hr] = zn.zone;
      }
    }
  }
  const free = owner.findIndex((o) => o === undefined);
  if (free >= 0) return { path: [], message: `the hour ${String(free).padStart(2, '0')}:00 is in no zone; the zones must cover the 24 hours of the day` };
  return undefined;
}

/**
 * The regulator's zones (NERC: night 23:00–07:00 in both; peak 08:00–11:00 and 20:00–22:00 in
 * the three-zone), with its coefficients of the flat price. Data, not code: a supply contract
 * with other hours or prices is given as its own zones.
 */
export const ZONE_PRESETS: Record<'two-zone' | 'three-zone', readonly TariffZonePut[]> = {
  'two-zone': [
    { zone: 'night', hours: [{ from: '23:00', to: '07:00' }], coefficient: 0.5 },
    { zone: 'day', hours: [{ from: '07:00', to: '23:00' }], coefficient: 1 },
  ],
  'three-zone': [
    { zone: 'night', hours: [{ from: '23:00', to: '07:00' }], coefficient: 0.4 },
    { zone: 'half-peak', hours: [{ from: '07:00', to: '08:00' }, { from: '11:00', to: '20:00' }, { from: '22:00', to: '23:00' }], coefficient: 1 },
    { zone: 'peak', hours: [{ from: '08:00', to: '11:00' }, { from: '20:00', to: '22:00' }], coefficient: 1.5 },
  ],
};

