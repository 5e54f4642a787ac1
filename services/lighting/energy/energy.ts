/**
 * Energy of lighting cabinets per local day or month, and the saving of dimming: what the same
 * hours would have drawn at full power.
 *
 * From the history store in 15-minute slots per cabinet (local days and months of a whole-hour
 * zone start on slot boundaries): the consumption of a slot is the rise of the `energyKWh`
 * register from the previous slot's last value, or mean `powerW` × 15 min when the cabinet has
 * no register (or it went back, a replaced meter). The same slot at full power is consumption ×
 * 100 / mean level while lit (power follows the dim level); an unlit slot saves nothing.
 */
import type { IANAZone } from 'luxon';
import type { HistoryStore } from '../../store/history-store.ts';
import { addDays, localToUtc } from '../schedule/local-time.ts';

export const SLOT_MS = 15 * 60_000;

export interface EnergySlot {
  /** slot start, epoch ms */
  ts: number;
  /** the register's last value in the slot */
  lastKWh: number | null;
  meanPowerW: number | null;
  meanLevel: number | null;
}

export interface EnergyInterval {
  start: string;
  end: string;
  kWh: number;
  fullPowerKWh: number;
  savedKWh: number;
}

/** Local days or months `from` (inclusive) to `to` (exclusive), as UTC instants. */
export function intervals(from: string, to: string, every: 'day' | 'month', zone: IANAZone): { start: number; end: number }[] {
  const dates: string[] = [];
  if (every === 'day') for (let d = from; d < to; d = addDays(d, 1)) dates.push(d);
  else {
    for (let d = `${from.slice(0, 7)}-01`; d < to; ) {
      dates.push(d);
      const [y, m] = d.split('-').map(Number) as [number, number];
      d = m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`;
    }
  }
  const end = every === 'day' ? to : dates.length ? nextMonth(dates[dates.length - 1]!) : to;
  return dates.map((d, i) => ({ start: localToUtc(d, 0, zone), end: localToUtc(dates[i + 1] ?? end, 0, zone) }));
}

function nextMonth(d: string): string {
  const [y, m] = d.split('-').map(Number) as [number, number];
  return m === 12 ? `${y + 1}-01-01` : `${y}-${String(m + 1).padStart(2, '0')}-01`;
}

/** Consumption and full-power equivalent of one cabinet's slots (sorted by time). Pure. */
export function slotEnergy(slots: readonly EnergySlot[]): { ts: number; kWh: number; fullKWh: number }[] {
  const out: { ts: number; kWh: number; fullKWh: number }[] = [];
  let prevKWh: number | null = null;
  for (const s of slots) {
    let kWh = 0;
    if (s.lastKWh !== null && prevKWh !== null && s.lastKWh >= prevKWh) kWh = s.lastKWh - prevKWh;
    else if (s.meanPowerW !== null) kWh = (s.meanPowerW * SLOT_MS) / 3_600_000 / 1000;
    if (s.lastKWh !== null) prevKWh = s.lastKWh;
    const fullKWh = s.meanLevel !== null && s.meanLevel > 0 ? (kWh * 100) / s.meanLevel : kWh;
    out.push({ ts: s.ts, kWh, fullKWh });
  }
  return out;
}

/** Sums slots into intervals; each interval reports kWh, full-power kWh and the saving (3 decimals). */
export function sumIntervals(perSlot: readonly { ts: number; kWh: number; fullKWh: number }[], ivs: readonly { start: number; end: number }[]): EnergyInterval[] {
  return ivs.map((iv) => {
    let kWh = 0;
    let full = 0;
    for (const s of perSlot) {
      if (s.ts >= iv.start && s.ts < iv.end) {
        kWh += s.kWh;
        full += s.fullKWh;
      }
    }
    const r = (x: number) => Math.round(x * 1000) / 1000;
    return { start: new Date(iv.start).toISOString(), end: new Date(iv.end).toISOString(), kWh: r(kWh), fullPowerKWh: r(full), savedKWh: r(full - kWh) };
  });
}

/** Reads the cabinets' slots from the store and sums them into the intervals. */
export async function cabinetsEnergy(store: HistoryStore, controllerIds: readonly string[], ivs: readonly { start: number; end: number }[]): Promise<EnergyInterval[]> {
  if (ivs.length === 0) return [];
  // One slot before the first interval gives the register's starting value.
  const from = ivs[0]!.start - SLOT_MS;
  const to = ivs[ivs.length - 1]!.end - 1;
  const all: { ts: number; kWh: number; fullKWh: number }[] = [];
  for (const id of controllerIds) {
    const q = { measurement: 'lighting_state', tags: { device: id }, from, to, bucketMs: SLOT_MS } as const;
    const [last, power, level] = await Promise.all([
      store.aggregate({ ...q, field: 'energyKWh', fn: 'last' }),
      store.aggregate({ ...q, field: 'powerW', fn: 'mean' }),
      store.aggregate({ ...q, field: 'level', fn: 'mean' }),
    ]);
    const byTs = new Map<number, EnergySlot>();
    const slot = (ts: number) => byTs.get(ts) ?? (byTs.set(ts, { ts, lastKWh: null, meanPowerW: null, meanLevel: null }), byTs.get(ts)!);
    for (const b of last) if (b.value !== null) slot(b.ts).lastKWh = b.value;
    for (const b of power) if (b.value !== null) slot(b.ts).meanPowerW = b.value;
    for (const b of level) if (b.value !== null) slot(b.ts).meanLevel = b.value;
    all.push(...slotEnergy([...byTs.values()].sort((a, b) => a.ts - b.ts)));
  }
  return sumIntervals(all, ivs);
}
