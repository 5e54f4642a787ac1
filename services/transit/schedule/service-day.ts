/**
 * Service days: which services run on a local date, and where a service day's clock starts.
 * GTFS times count from "noon minus 12 h" local time, which is midnight except on the two
 * days a year the clocks change; there it is 23:00 or 01:00, and a 08:00:00 stop_time still
 * means 08:00 on the wall clock.
 */
import { DateTime } from 'luxon';
import type { GtfsFeed } from '../gtfs/model.ts';

/** YYYYMMDD */
export type ServiceDate = string;

const DATE = /^(\d{4})(\d{2})(\d{2})$/;

function parseDate(date: ServiceDate): { year: number; month: number; day: number } {
  const m = DATE.exec(date);
  if (!m) throw new Error(`service date ${date}: must be YYYYMMDD`);
  return { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
}

/** Epoch ms of the service day's origin: noon − 12 h local time on `date`, in `zone`. */
export function serviceDayStartMs(date: ServiceDate, zone: string): number {
  const noon = DateTime.fromObject({ ...parseDate(date), hour: 12 }, { zone });
  if (!noon.isValid) throw new Error(`service date ${date} in ${zone}: ${noon.invalidExplanation ?? 'invalid'}`);
  return noon.toMillis() - 12 * 3_600_000;
}

/** The local calendar date of an instant, YYYYMMDD. */
export function localDate(ms: number, zone: string): ServiceDate {
  return DateTime.fromMillis(ms, { zone }).toFormat('yyyyLLdd');
}

/** The date `days` after `date` (negative: before). */
export function addDays(date: ServiceDate, days: number): ServiceDate {
  return DateTime.fromObject(parseDate(date), { zone: 'UTC' }).plus({ days }).toFormat('yyyyLLdd');
}

/** Monday 0 … Sunday 6, as GTFS calendar's columns. */
function weekdayIndex(date: ServiceDate): number {
  return DateTime.fromObject(parseDate(date), { zone: 'UTC' }).weekday - 1;
}

/** `HH:MM:SS` of seconds after the service day's origin (may pass 24:00:00). */
export function formatGtfsTime(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

/**
 * The services that run on a date: calendar.txt's weekdays within its date range, then
 * calendar_dates.txt's additions (1) and removals (2), which win.
 */
export function servicesOn(feed: GtfsFeed, date: ServiceDate): Set<string> {
  const day = weekdayIndex(date);
  const running = new Set<string>();
  for (const c of feed.calendars.values()) {
    if (c.days[day] && c.startDate <= date && date <= c.endDate) running.add(c.serviceId);
  }
  for (const d of feed.calendarDates) {
    if (d.date !== date) continue;
    if (d.exceptionType === 1) running.add(d.serviceId);
    else running.delete(d.serviceId);
  }
  return running;
}

/** The local hour (0–23) of an instant; cached per UTC hour, so it is cheap per position. */
export class LocalHours {
  private readonly cache = new Map<number, number>();
  /** the last hour asked for: nearly every call asks for the same one as the call before */
  private lastKey = Number.NaN;
  private lastHour = 0;
  constructor(private readonly zone: string) {}

  hourOf(ms: number): number {
    const key = Math.floor(ms / 3_600_000);
    if (key === this.lastKey) return this.lastHour;
    let h = this.cache.get(key);
    if (h === undefined) {
      h = DateTime.fromMillis(key * 3_600_000, { zone: this.zone }).hour;
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(key, h);
    }
    this.lastKey = key;
    this.lastHour = h;
    return h;
  }
}
