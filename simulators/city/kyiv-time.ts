/**
 * Local time in Kropyvnytskyi (Europe/Kyiv) without a date library: the offset comes from the
 * runtime's time-zone database through Intl, so DST follows the law rather than a rule baked in
 * here. Kyiv's offset only ever changes on whole UTC hours, so it is cached per UTC hour.
 */

export const CITY_TIME_ZONE = 'Europe/Kyiv';
const HOUR = 3_600_000;
export const DAY_MS = 86_400_000;

/** Anchor of every closed-form model's time line: registers count from here. */
export const SIM_EPOCH_MS = Date.UTC(2024, 0, 1);

function makeFormatter(): Intl.DateTimeFormat {
  const opts: Intl.DateTimeFormatOptions = {
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
  };
  try {
    return new Intl.DateTimeFormat('en-US', { ...opts, timeZone: CITY_TIME_ZONE });
  } catch {
    // ICU builds older than tzdata 2022b only know the old spelling.
    return new Intl.DateTimeFormat('en-US', { ...opts, timeZone: 'Europe/Kiev' });
  }
}

const formatter = makeFormatter();
const offsetCache = new Map<number, number>();

/** Offset of Kyiv local time from UTC at the instant, in milliseconds (+2 h or +3 h). */
export function kyivOffsetMs(ms: number): number {
  const hour = Math.floor(ms / HOUR);
  const cached = offsetCache.get(hour);
  if (cached !== undefined) return cached;
  const at = hour * HOUR;
  const parts: Record<string, number> = {};
  for (const p of formatter.formatToParts(at)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const local = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!);
  const offset = local - at;
  // Bounded: a long accelerated run must not grow the cache forever.
  if (offsetCache.size > 200_000) offsetCache.clear();
  offsetCache.set(hour, offset);
  return offset;
}

export interface LocalTime {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  /** ISO weekday: 1 = Monday … 7 = Sunday */
  weekday: number;
  /** minutes since local midnight, fractional */
  minuteOfDay: number;
  /** days since 1970-01-01 of the local calendar date */
  dayIndex: number;
  /** 1–366 */
  dayOfYear: number;
}

export function kyivTime(ms: number): LocalTime {
  const local = ms + kyivOffsetMs(ms);
  const d = new Date(local);
  const dayIndex = Math.floor(local / DAY_MS);
  const year = d.getUTCFullYear();
  const minuteOfDay = (local - dayIndex * DAY_MS) / 60_000;
  return {
    year,
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    weekday: ((d.getUTCDay() + 6) % 7) + 1,
    minuteOfDay,
    dayIndex,
    dayOfYear: dayIndex - Math.floor(Date.UTC(year, 0, 1) / DAY_MS) + 1,
  };
}

/**
 * The UTC instant of a local wall-clock time on a local date (days since 1970). A time that
 * does not exist (the skipped hour in March) maps past the gap; a repeated one (October) to
 * its first occurrence.
 */
export function kyivInstant(dayIndex: number, minuteOfDay: number): number {
  const wall = dayIndex * DAY_MS + minuteOfDay * 60_000;
  const before = wall - kyivOffsetMs(wall - DAY_MS);
  const after = wall - kyivOffsetMs(wall + DAY_MS);
  const candidates = before <= after ? [before, after] : [after, before];
  for (const t of candidates) if (t + kyivOffsetMs(t) === wall) return t;
  return before;
}

/** UTC instant of local midnight starting the local date. */
export function kyivMidnight(dayIndex: number): number {
  return kyivInstant(dayIndex, 0);
}
