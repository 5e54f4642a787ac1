/**
 * Anomalies of a meter's consumption, found in its local hours. Pure: hours and the clock come in.
 *
 * For each complete local day D of the scan, against the 28 days before it:
 *  - `night-baseload` (all but water): the mean of D's night hours (00:00–05:00 local) is more
 *    than NIGHT_RATIO × the median of the previous nights' means;
 *  - `night-flow` (water): water ran in every night hour of D (≥ NIGHT_FLOW_MIN per hour): a leak;
 *  - `weekend-baseload` (a Saturday or Sunday): D's mean per hour is more than WEEKEND_RATIO × the
 *    median of the previous weekend days' means (at least MIN_WEEKEND_REFERENCE of them): a
 *    building that should be idle is not;
 *  - `spike`: an hour of D is more than SPIKE_RATIO × the median of the same local hour on the
 *    previous days (the day's largest such hour is reported);
 *  - `above-baseline` (electricity, water: no weather model): D's total is more than
 *    DAY_ABOVE_RATIO × the median of the same weekday's totals (at least MIN_WEEKDAY_REFERENCE);
 * and, at `now`, `silent`: the meter's last reading is more than SILENT_AFTER_MS old; and for heat
 * and gas meters whose degree-day baseline (the year before) is sufficient, `above-baseline`: a
 * day more than ABOVE_BASELINE_RATIO × what the baseline expects for its degree-days.
 */
import { DateTime } from 'luxon';
import type { EnergyResource } from '../../contracts/energy.ts';
import type { DayDegree } from '../baseline/degree-days.ts';
import type { BaselineModel } from '../baseline/regression.ts';
import type { TimeSpan } from '../consumption/local-time.ts';
import type { HourValue, IntervalValue } from '../consumption/registers.ts';

export type AnomalyKind = 'night-baseload' | 'weekend-baseload' | 'night-flow' | 'spike' | 'silent' | 'above-baseline';

export interface AnomalyFinding {
  meterId: string;
  kind: AnomalyKind;
  start: number;
  end: number;
  /** the figures that made it an anomaly */
  evidence: Record<string, number | string>;
}

export const NIGHT_HOURS = [0, 1, 2, 3, 4] as const;
export const NIGHT_RATIO = 1.5;
export const NIGHT_FLOW_MIN = 0.005; // m3 an hour: 5 litres
export const SPIKE_RATIO = 3;
export const SILENT_AFTER_MS = 6 * 3_600_000;
export const ABOVE_BASELINE_RATIO = 1.3;
export const REFERENCE_DAYS = 28;
export const WEEKEND_RATIO = 1.5;
/** Weekend days (of the 28 before) a weekend day is judged against: 4 of the 8. */
export const MIN_WEEKEND_REFERENCE = 4;
export const DAY_ABOVE_RATIO = 1.5;
/** Same weekdays (of the 4 before) a day's total is judged against. */
export const MIN_WEEKDAY_REFERENCE = 3;
/** Hours a day must have to be judged or to be a reference (a day with a gap is left alone). */
const FULL_DAY_HOURS = 20;
/** Fewer reference days than this: no verdict (a new meter is not anomalous by default). */
export const MIN_REFERENCE_DAYS = 7;

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round = (v: number) => Math.round(v * 1e4) / 1e4;

interface DayHours {
  span: TimeSpan;
  /** ISO weekday of the local day, 1 = Monday … 7 = Sunday */
  weekday: number;
  /** value by local hour of day (0–23; the repeated hour of a fall-back day adds to its hour) */
  byHour: Map<number, number>;
}

function groupDays(hours: readonly HourValue[], days: readonly TimeSpan[], tz: string): DayHours[] {
  const out: DayHours[] = days.map((span) => ({ span, weekday: DateTime.fromMillis(span.start, { zone: tz }).weekday, byHour: new Map() }));
  let d = 0;
  for (const h of hours) {
    while (d < days.length && h.start >= days[d]!.end) d++;
    if (d >= days.length) break;
    if (h.start < days[d]!.start) continue;
    const hour = DateTime.fromMillis(h.start, { zone: tz }).hour;
    const map = out[d]!.byHour;
    map.set(hour, (map.get(hour) ?? 0) + h.value);
  }
  return out;
}

/**
 * Findings for the days `scan` (complete local days, in order) of one meter, given its hours
 * from REFERENCE_DAYS before the first scanned day; `reference` are those earlier days' spans.
 */
export function detectDayAnomalies(meterId: string, resource: EnergyResource | null, hours: readonly HourValue[], reference: readonly TimeSpan[], scan: readonly TimeSpan[], tz: string): AnomalyFinding[] {
  const all = groupDays(hours, [...reference, ...scan], tz);
  const findings: AnomalyFinding[] = [];
  const nightMean = (d: DayHours): number | undefined => {
    const vals = NIGHT_HOURS.map((h) => d.byHour.get(h)).filter((v): v is number => v !== undefined);
    return vals.length >= 4 ? vals.reduce((a, b) => a + b, 0) / vals.length : undefined;
  };
  for (let i = reference.length; i < all.length; i++) {
    const day = all[i]!;
    const before = all.slice(Math.max(0, i - REFERENCE_DAYS), i).filter((d) => d.byHour.size >= FULL_DAY_HOURS);
    const at = { start: day.span.start, end: day.span.end };
    if (resource === 'water') {
      const night = NIGHT_HOURS.map((h) => day.byHour.get(h));
      if (night.every((v) => v !== undefined && v >= NIGHT_FLOW_MIN)) {
        findings.push({ meterId, kind: 'night-flow', ...at, evidence: { minPerHour: round(Math.min(...(night as number[]))), nightTotal: round((night as number[]).reduce((a, b) => a + b, 0)) } });
      }
    } else if (before.length >= MIN_REFERENCE_DAYS) {
      const mean = nightMean(day);
      const refs = before.map(nightMean).filter((v): v is number => v !== undefined);
      if (mean !== undefined && refs.length >= MIN_REFERENCE_DAYS) {
        const ref = median(refs);
        if (ref > 0 && mean > NIGHT_RATIO * ref) findings.push({ meterId, kind: 'night-baseload', ...at, evidence: { nightMeanPerHour: round(mean), usualPerHour: round(ref), ratio: round(mean / ref) } });
      }
    }
    if (day.byHour.size >= FULL_DAY_HOURS) findings.push(...weekAnomalies(meterId, resource, day, before, at));
    if (before.length >= MIN_REFERENCE_DAYS) {
      let worst: { hour: number; value: number; ref: number } | undefined;
      for (const [hour, value] of day.byHour) {
        const refs = before.map((d) => d.byHour.get(hour)).filter((v): v is number => v !== undefined);
        if (refs.length < MIN_REFERENCE_DAYS) continue;
        const ref = median(refs);
        if (ref > 0 && value > SPIKE_RATIO * ref && (!worst || value / ref > worst.value / worst.ref)) worst = { hour, value, ref };
      }
      if (worst) findings.push({ meterId, kind: 'spike', ...at, evidence: { localHour: worst.hour, value: round(worst.value), usual: round(worst.ref), ratio: round(worst.value / worst.ref) } });
    }
  }
  return findings;
}

const dayTotal = (d: DayHours): number => [...d.byHour.values()].reduce((a, b) => a + b, 0);

/** `weekend-baseload` and (electricity, water) `above-baseline` of one full day against the full days before it. */
function weekAnomalies(meterId: string, resource: EnergyResource | null, day: DayHours, before: readonly DayHours[], at: TimeSpan): AnomalyFinding[] {
  const out: AnomalyFinding[] = [];
  if (day.weekday >= 6) {
    const perHour = (d: DayHours) => dayTotal(d) / d.byHour.size;
    const refs = before.filter((d) => d.weekday >= 6).map(perHour);
    if (refs.length >= MIN_WEEKEND_REFERENCE) {
      const ref = median(refs);
      const mean = perHour(day);
      if (ref > 0 && mean > WEEKEND_RATIO * ref) out.push({ meterId, kind: 'weekend-baseload', ...at, evidence: { meanPerHour: round(mean), usualPerHour: round(ref), ratio: round(mean / ref), weekendDays: refs.length } });
    }
  }
  if (resource !== 'heat' && resource !== 'gas') {
    const refs = before.filter((d) => d.weekday === day.weekday).map(dayTotal);
    if (refs.length >= MIN_WEEKDAY_REFERENCE) {
      const ref = median(refs);
      const value = dayTotal(day);
      if (ref > 0 && value > DAY_ABOVE_RATIO * ref) out.push({ meterId, kind: 'above-baseline', ...at, evidence: { value: round(value), expected: round(ref), ratio: round(value / ref), basis: 'median of the same weekday' } });
    }
  }
  return out;
}

/** `silent` when the last reading is older than SILENT_AFTER_MS at `now`. */
export function detectSilence(meterId: string, lastReadingMs: number | undefined, now: number): AnomalyFinding | undefined {
  if (lastReadingMs === undefined || now - lastReadingMs <= SILENT_AFTER_MS) return undefined;
  return { meterId, kind: 'silent', start: lastReadingMs, end: now, evidence: { lastReading: new Date(lastReadingMs).toISOString(), silentHours: round((now - lastReadingMs) / 3_600_000) } };
}

/** Days far above a sufficient baseline (days as intervals with values; degree-days by day start). */
export function detectAboveBaseline(meterId: string, model: BaselineModel, days: readonly IntervalValue[], hdd: readonly DayDegree[]): AnomalyFinding[] {
  if (!model.sufficient) return [];
  const byStart = new Map(hdd.map((d) => [d.start, d.hdd]));
  const out: AnomalyFinding[] = [];
  for (const d of days) {
    const h = byStart.get(d.start);
    if (d.value === null || h === undefined) continue;
    const expected = model.baseload + model.perHdd * h;
    if (expected > 0 && d.value > ABOVE_BASELINE_RATIO * expected) {
      out.push({ meterId, kind: 'above-baseline', start: d.start, end: d.end, evidence: { value: round(d.value), expected: round(expected), ratio: round(d.value / expected), hdd: round(h) } });
    }
  }
  return out;
}
