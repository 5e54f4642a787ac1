/**
 * Anomalies of a meter's consumption, found in its local hours. Pure: hours and the clock come in.
 *
 * For each complete local day D of the scan, against the 28 days before it:
 *  - `night-baseload` (all but water): the mean of D's night hours (00:00–05:00 local) is more
 *    than NIGHT_RATIO × the median of the previous nights' means;
 *  - `night-flow` (water): water ran in every night hour of D (≥ NIGHT_FLOW_MIN per hour): a leak;
 *  - `spike`: an hour of D is more than SPIKE_RATIO × the median of the same local hour on the
 *    previous days (the day's largest such hour is reported);
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

export type AnomalyKind = 'night-baseload' | 'night-flow' | 'spike' | 'silent' | 'above-baseline';

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
  /** value by local hour of day (0–23; the repeated hour of a fall-back day adds to its hour) */
  byHour: Map<number, number>;
}

function groupDays(hours: readonly HourValue[], days: readonly TimeSpan[], tz: string): DayHours[] {
  const out: DayHours[] = days.map((span) => ({ span, byHour: new Map() }));
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
    const before = all.slice(Math.max(0, i - REFERENCE_DAYS), i).filter((d) => d.byHour.size >= 20);
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
