import { IANAZone } from 'luxon';

/** A zone by IANA name; throws naming the zone when it is unknown. */
export function zoneOf(name: string): IANAZone {
  const zone = IANAZone.create(name);
  if (!zone.isValid) throw new Error(`unknown time zone "${name}"`);
  return zone;
}

/** Calendar arithmetic on `YYYY-MM-DD` strings (plain dates, no zone involved). */
export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
}

/** ISO weekday of a calendar date: 1 Monday … 7 Sunday. */
export function isoWeekday(date: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const w = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  return w === 0 ? 7 : w;
}

/** The local calendar date of an instant in `zone`. */
export function localDateOf(ms: number, zone: IANAZone): string {
  return new Date(ms + zone.offset(ms) * 60_000).toISOString().slice(0, 10);
}

/**
 * The instant a local wall time happens on a local date. Across DST both odd cases have one
 * answer: a time that happens twice (the autumn night's repeated hour) is its first occurrence;
 * a time that never happens (the spring night's skipped hour) is the moment the clocks jump past
 * it, so a step at 03:30 on the spring night starts at 04:00 summer time, when 03:30 has passed.
 */
export function localToUtc(date: string, minuteOfDay: number, zone: IANAZone): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const naive = Date.UTC(y, m - 1, d, 0, minuteOfDay);
  const offsets = [...new Set([zone.offset(naive - 86_400_000), zone.offset(naive), zone.offset(naive + 86_400_000)])];
  const valid = offsets.map((o) => naive - o * 60_000).filter((t) => zone.offset(t) * 60_000 === naive - t);
  if (valid.length > 0) return Math.min(...valid);
  // In the gap: the clocks jump between the instant read with the larger offset and the one
  // read with the smaller; find the jump to the minute.
  let lo = naive - Math.max(...offsets) * 60_000;
  let hi = naive - Math.min(...offsets) * 60_000;
  const before = zone.offset(lo);
  while (hi - lo > 60_000) {
    const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
    if (zone.offset(mid) === before) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** `HH:MM` → minutes after local midnight. */
export function minuteOfDay(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
}
