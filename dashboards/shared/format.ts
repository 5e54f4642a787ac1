/** Number, power and time formatting in the current language. */
import { locale, t } from './i18n.ts';

const CITY_TZ = 'Europe/Kyiv';

export function fmtNumber(value: number, maxFractionDigits = 0): string {
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: maxFractionDigits, minimumFractionDigits: 0 }).format(value);
}

export function fmtFixed(value: number, fractionDigits: number): string {
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: fractionDigits, minimumFractionDigits: fractionDigits }).format(value);
}

/** Watts shown as kW with sensible precision, or W below 1 kW. */
export function fmtPower(watts: number | null | undefined): string {
  if (watts === null || watts === undefined || !Number.isFinite(watts)) return t('common.none');
  if (Math.abs(watts) < 1000) return `${fmtNumber(watts, 0)} ${t('unit.W')}`;
  const kw = watts / 1000;
  return `${fmtFixed(kw, kw < 100 ? 2 : 1)} ${t('unit.kW')}`;
}

/** Age of an ISO timestamp: "12 с тому", "3 хв тому". Clock skew never shows a negative age. */
export function fmtAgo(iso: string, now: number = Date.now()): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return t('common.none');
  const s = Math.max(0, Math.floor((now - ms) / 1000));
  if (s < 2) return t('time.justNow');
  if (s < 120) return t('time.secondsAgo', { n: s });
  const min = Math.floor(s / 60);
  if (min < 120) return t('time.minutesAgo', { n: min });
  const h = Math.floor(min / 60);
  if (h < 48) return t('time.hoursAgo', { n: h });
  return t('time.daysAgo', { n: Math.floor(h / 24) });
}

/** Local time of the city, e.g. "14:05:09" today or "26.11.2026, 14:05" otherwise. */
export function fmtTime(iso: string, now: number = Date.now()): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return t('common.none');
  const sameDay = Math.abs(now - ms) < 12 * 3600_000;
  const opts: Intl.DateTimeFormatOptions = sameDay
    ? { timeZone: CITY_TZ, hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }
    : { timeZone: CITY_TZ, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false };
  try {
    return new Intl.DateTimeFormat(locale(), opts).format(ms);
  } catch {
    return new Date(ms).toISOString();
  }
}

/** Hours and minutes in the city's time, e.g. "14:05". */
export function fmtClock(ms: number, seconds = false): string {
  try {
    return new Intl.DateTimeFormat(locale(), { timeZone: CITY_TZ, hour: '2-digit', minute: '2-digit', ...(seconds ? { second: '2-digit' } : {}), hourCycle: 'h23' }).format(ms);
  } catch {
    return new Date(ms).toISOString().slice(11, seconds ? 19 : 16);
  }
}

/** Full local date and time for tooltips. */
export function fmtDateTime(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return '';
  try {
    return new Intl.DateTimeFormat(locale(), {
      timeZone: CITY_TZ, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
    }).format(ms);
  } catch {
    return new Date(ms).toISOString();
  }
}
