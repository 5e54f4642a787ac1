import { DateTime, IANAZone } from 'luxon';
import type { CalendarUnit } from './history-store.ts';

/** More buckets than this in one aggregate is a mistake (a year of hours is 8,760). */
export const MAX_CALENDAR_BUCKETS = 100_000;

const UNITS: readonly CalendarUnit[] = ['hour', 'day', 'month'];

/** The zone of an aggregate, checked: `UTC` when not given. Throws a RangeError naming the field. */
export function checkZone(tz: string | undefined): string {
  if (tz === undefined) return 'UTC';
  if (typeof tz !== 'string' || !IANAZone.isValidZone(tz)) throw new RangeError(`tz ${JSON.stringify(tz)} is not an IANA time zone (e.g. Europe/Kyiv)`);
  return tz;
}

export function checkUnit(unit: unknown): CalendarUnit {
  if (!UNITS.includes(unit as CalendarUnit)) throw new RangeError(`every must be one of ${UNITS.join(', ')}, got ${JSON.stringify(unit)}`);
  return unit as CalendarUnit;
}

/**
 * The boundaries of the calendar buckets covering [from, to]: the start of the local hour, day
 * or month of `tz` holding `from`, each next start, and the end of the bucket holding `to`
 * (epoch ms UTC, ascending). Bucket i is [b[i], b[i + 1]). Days across DST are 23 or 25 hours.
 */
export function calendarBounds(from: number, to: number, unit: CalendarUnit, tz: string): number[] {
  if (!(from <= to)) return [];
  let at = DateTime.fromMillis(from, { zone: tz }).startOf(unit);
  const bounds = [at.toMillis()];
  while (at.toMillis() <= to) {
    // `plus` of days and months is calendar arithmetic (local midnight to local midnight); of
    // hours, absolute: the hour repeated when clocks go back is two buckets.
    at = at.plus({ [`${unit}s`]: 1 }).startOf(unit);
    bounds.push(at.toMillis());
    if (bounds.length > MAX_CALENDAR_BUCKETS + 1) throw new RangeError(`from–to spans more than ${MAX_CALENDAR_BUCKETS} buckets of one ${unit}`);
  }
  return bounds;
}
