/**
 * Local hours, days and months of the city's zone (CITY_TZ). A local day runs from local
 * midnight to local midnight: 23 hours on the spring-forward day, 25 on the fall-back day.
 * Instants are epoch milliseconds (UTC); dates are `YYYY-MM-DD` in the zone.
 */
import { DateTime, IANAZone } from 'luxon';

export const HOUR_MS = 3_600_000;
export type IntervalKind = 'hour' | 'day' | 'month' | 'year';
export const INTERVAL_KINDS: readonly IntervalKind[] = ['hour', 'day', 'month', 'year'];

export interface TimeSpan {
  /** epoch ms, inclusive */
  start: number;
  /** epoch ms, exclusive */
  end: number;
}

/** A bad local date or span, naming the field. */
export class LocalTimeError extends Error {
  constructor(readonly field: string, readonly reason: string) {
    super(`${field}: ${reason}`);
  }
}

/** Throws unless the zone is one the runtime knows and whose offsets are whole hours (local hours are then UTC hours). */
export function checkZone(tz: string): void {
  if (!IANAZone.isValidZone(tz)) throw new LocalTimeError('CITY_TZ', `"${tz}" is not a known IANA time zone`);
  const zone = IANAZone.create(tz);
  for (const month of [1, 4, 7, 10]) {
    const at = Date.UTC(2026, month - 1, 1);
    if (zone.offset(at) % 60 !== 0) throw new LocalTimeError('CITY_TZ', `"${tz}" is not a whole number of hours from UTC; local hours would not be UTC hours`);
  }
}

const mod = (a: number, n: number): number => ((a % n) + n) % n;

const offsetCache = new Map<string, Map<number, number>>();
const OFFSET_CACHE_HOURS = 200_000;

/**
 * Offset of local time from UTC at the instant, in ms. Offsets change on whole UTC hours in a
 * zone checkZone accepts, so they are cached per UTC hour (luxon's answer costs microseconds and
 * rollups ask it per reading).
 */
export function offsetMs(ms: number, tz: string): number {
  const hour = Math.floor(ms / HOUR_MS);
  let zone = offsetCache.get(tz);
  if (!zone) offsetCache.set(tz, (zone = new Map()));
  let offset = zone.get(hour);
  if (offset === undefined) {
    if (zone.size >= OFFSET_CACHE_HOURS) zone.clear();
    offset = DateTime.fromMillis(hour * HOUR_MS, { zone: tz }).offset * 60_000;
    zone.set(hour, offset);
  }
  return offset;
}

/** Start of the local hour holding the instant. In the repeated hour of a fall-back day each of the two hours is its own. */
export function hourStart(ms: number, tz: string): number {
  return ms - mod(ms + offsetMs(ms, tz), HOUR_MS);
}

const DAY_MS = 86_400_000;

/**
 * Start of the local day holding the instant (local midnight), without luxon on the hot path:
 * the offset at midnight is looked up where midnight would be, then once more.
 */
export function dayStart(ms: number, tz: string): number {
  const localMidnightAsUtc = Math.floor((ms + offsetMs(ms, tz)) / DAY_MS) * DAY_MS;
  const guess = localMidnightAsUtc - offsetMs(ms, tz);
  return localMidnightAsUtc - offsetMs(guess, tz);
}

/** Start of the next local day after the one holding the instant. */
export const nextDayStart = (ms: number, tz: string): number => dayStart(dayStart(ms, tz) + 36 * HOUR_MS, tz);

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

const midnightCache = new Map<string, number>();

/** Local midnight starting the date, as epoch ms (remembered: a city's report asks for the same dates per building). */
export function localMidnight(date: string, tz: string, field = 'date'): number {
  const key = `${tz}|${date}`;
  const known = midnightCache.get(key);
  if (known !== undefined) return known;
  if (!DATE_RE.test(date)) throw new LocalTimeError(field, `must be a date YYYY-MM-DD, got "${date.slice(0, 40)}"`);
  const d = DateTime.fromISO(date, { zone: tz });
  if (!d.isValid) throw new LocalTimeError(field, `"${date}" is not a calendar date`);
  const ms = d.startOf('day').toMillis();
  if (midnightCache.size >= 100_000) midnightCache.clear();
  midnightCache.set(key, ms);
  return ms;
}

/** The local date (`YYYY-MM-DD`) of an instant. */
export function localDate(ms: number, tz: string): string {
  return DateTime.fromMillis(ms, { zone: tz }).toISODate()!;
}

/** Most intervals one request may ask for (a year of hours fits; ten years of days fit). */
export const MAX_INTERVALS = 9_000;

/**
 * The intervals between two local dates, `from` inclusive and `to` exclusive: local hours,
 * local days (23, 24 or 25 hours long), calendar months or calendar years (the first and last clipped to the span).
 */
export function localIntervals(from: string, to: string, kind: IntervalKind, tz: string): TimeSpan[] {
  const start = localMidnight(from, tz, 'from');
  const end = localMidnight(to, tz, 'to');
  if (end <= start) throw new LocalTimeError('to', 'must be a later date than from');
  const out: TimeSpan[] = [];
  const push = (s: number, e: number) => {
    if (out.length >= MAX_INTERVALS) throw new LocalTimeError('to', `the span holds more than ${MAX_INTERVALS} intervals of a ${kind}; ask for a shorter span or a longer interval`);
    out.push({ start: s, end: e });
  };
  if (kind === 'hour') {
    // Offsets change on whole hours in a zone checkZone accepts, so local hours step by an hour.
    for (let h = start; h < end; h += HOUR_MS) push(h, Math.min(h + HOUR_MS, end));
    return out;
  }
  if (kind === 'day') {
    for (let d = start; d < end; ) {
      const next = nextDayStart(d, tz);
      push(d, Math.min(next, end));
      d = next;
    }
    return out;
  }
  let cursor = DateTime.fromMillis(start, { zone: tz });
  while (cursor.toMillis() < end) {
    const next = cursor.startOf(kind).plus({ [`${kind}s`]: 1 });
    push(cursor.toMillis(), Math.min(next.toMillis(), end));
    cursor = next;
  }
  return out;
}
