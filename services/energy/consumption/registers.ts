/**
 * From cumulative register readings to consumption: pure, no clock, no I/O.
 *
 * Readings are taken in any order; the same `ts` twice keeps the one given last (a corrected
 * reading replaces the first). Consecutive readings make a step:
 *  - `delta`: the register went up (or stayed): consumption = difference × multiplier;
 *  - `rollover`: the register went down and wrapped: it counts up to `registerMax` and starts
 *    again at 0. Without a `registerMax`, the register is taken to have as many digits as the
 *    earlier reading's integer part (999 950 → a 6-digit register, 10^6), and a drop is a
 *    rollover only when the wrapped difference is under a tenth of that size (999 950 → 30);
 *  - `reset`: any other drop: the meter was replaced or its register reset, a new run of the
 *    register starts. What was used between the two readings is unknown; it is estimated at
 *    the rate of the neighbouring steps and marked `estimated`.
 * A step longer than `gapMs` is a gap: its consumption is spread linearly over the hours it
 * covers and marked `estimated`. Every step is spread over local hours in proportion to the
 * time it shares with each.
 */
import type { EnergyUnit } from '../../contracts/energy.ts';
import { HOUR_MS, hourStart, type TimeSpan } from './local-time.ts';

export interface RegisterReading {
  /** epoch ms */
  ts: number;
  /** the register, cumulative, in `unit` */
  value: number;
  unit: EnergyUnit;
}

export interface RegisterRules {
  tz: string;
  /** the meter's unit; readings in another unit of the same quantity are converted */
  unit: EnergyUnit;
  /** register units to consumption (a current-transformer ratio, a pulse weight); default 1 */
  multiplier?: number;
  /** the count at which the register wraps to 0, in the readings' unit */
  registerMax?: number;
  /** readings further apart than this leave a gap, spread and marked estimated; default 1 hour */
  gapMs?: number;
}

export const DEFAULT_GAP_MS = HOUR_MS;
/** A drop is a rollover only when the wrapped difference is below this share of the register's size. */
export const ROLLOVER_SHARE = 0.1;

export type StepKind = 'delta' | 'rollover' | 'reset';

export interface Step {
  from: number;
  to: number;
  /** consumption in the meter's unit, multiplier applied */
  value: number;
  kind: StepKind;
  estimated: boolean;
}

export interface HourValue {
  /** start of the local hour, epoch ms */
  start: number;
  value: number;
  estimated: boolean;
}

export interface Skipped {
  ts: number;
  reason: string;
}

/** Energy units in kWh; water has only m3. */
const KWH_PER: Partial<Record<EnergyUnit, number>> = { kWh: 1, Gcal: 1163, GJ: 1e6 / 3600 };

/** The value in another unit, or undefined when the two do not measure the same thing. */
export function convertUnit(value: number, from: EnergyUnit, to: EnergyUnit): number | undefined {
  if (from === to) return value;
  const a = KWH_PER[from];
  const b = KWH_PER[to];
  return a !== undefined && b !== undefined ? (value * a) / b : undefined;
}

/** Size of a register holding `value` when nothing says otherwise: the next power of ten above its integer part. */
export function impliedRegisterSize(value: number): number {
  return 10 ** Math.max(1, String(Math.floor(Math.abs(value))).length);
}

/** Readings in time order, one per timestamp (the last given wins), and those that cannot count. */
export function orderReadings(readings: readonly RegisterReading[], unit: EnergyUnit): { ordered: RegisterReading[]; skipped: Skipped[] } {
  const byTs = new Map<number, RegisterReading>();
  const skipped: Skipped[] = [];
  for (const r of readings) {
    if (!Number.isFinite(r.value) || r.value < 0) skipped.push({ ts: r.ts, reason: 'value: must be a finite number ≥ 0' });
    else if (convertUnit(1, r.unit, unit) === undefined) skipped.push({ ts: r.ts, reason: `unit: ${r.unit} cannot be counted on a meter in ${unit}` });
    else byTs.set(r.ts, r);
  }
  return { ordered: [...byTs.values()].sort((a, b) => a.ts - b.ts), skipped };
}

/** The steps between consecutive readings (see the file's comment). */
export function registerSteps(readings: readonly RegisterReading[], rules: RegisterRules): { steps: Step[]; skipped: Skipped[] } {
  const { ordered, skipped } = orderReadings(readings, rules.unit);
  const multiplier = rules.multiplier ?? 1;
  const gapMs = rules.gapMs ?? DEFAULT_GAP_MS;
  const steps: Step[] = [];
  for (let i = 1; i < ordered.length; i++) {
    const a = ordered[i - 1]!;
    const b = ordered[i]!;
    // Differences in the later reading's unit, then to the meter's.
    const before = convertUnit(a.value, a.unit, b.unit)!;
    const diff = b.value - before;
    let kind: StepKind = 'delta';
    let raw = diff;
    if (diff < 0) {
      const size = rules.registerMax ?? impliedRegisterSize(before);
      const wrapped = size - before + b.value;
      if (wrapped >= 0 && wrapped < size * ROLLOVER_SHARE) {
        kind = 'rollover';
        raw = wrapped;
      } else {
        kind = 'reset';
        raw = 0;
      }
    }
    const value = convertUnit(raw, b.unit, rules.unit)! * multiplier;
    steps.push({ from: a.ts, to: b.ts, value, kind, estimated: kind === 'reset' || b.ts - a.ts > gapMs });
  }
  estimateResets(steps);
  return { steps, skipped };
}

/** A reset step gets the mean rate of the nearest measured steps on either side (none: 0). */
function estimateResets(steps: Step[]): void {
  const rate = (s: Step) => s.value / (s.to - s.from);
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!;
    if (s.kind !== 'reset') continue;
    const rates: number[] = [];
    for (let j = i - 1; j >= 0; j--) if (steps[j]!.kind !== 'reset') {
      rates.push(rate(steps[j]!));
      break;
    }
    for (let j = i + 1; j < steps.length; j++) if (steps[j]!.kind !== 'reset') {
      rates.push(rate(steps[j]!));
      break;
    }
    s.value = rates.length ? (rates.reduce((x, y) => x + y, 0) / rates.length) * (s.to - s.from) : 0;
  }
}

/**
 * Spreads steps over local hours in proportion to the time each step shares with each hour.
 * With `window`, only the hours starting inside it. Hours no step covers are absent.
 */
export function spreadOverHours(steps: readonly Step[], tz: string, window?: TimeSpan): HourValue[] {
  const hours = new Map<number, HourValue>();
  for (const s of steps) {
    const span = s.to - s.from;
    let h = hourStart(s.from, tz);
    // Skip whole hours before the window (a long gap may start long before it).
    if (window && h < window.start) h += HOUR_MS * Math.floor((window.start - h) / HOUR_MS);
    for (; h < s.to; h += HOUR_MS) {
      if (window && h >= window.end) break;
      if (window && h < window.start) continue;
      const overlap = Math.min(s.to, h + HOUR_MS) - Math.max(s.from, h);
      if (overlap <= 0) continue;
      const part = (s.value * overlap) / span;
      const cur = hours.get(h);
      if (cur) {
        cur.value += part;
        cur.estimated ||= s.estimated;
      } else hours.set(h, { start: h, value: part, estimated: s.estimated });
    }
  }
  return [...hours.values()].sort((a, b) => a.start - b.start);
}

/** Hourly consumption from register readings: `registerSteps` then `spreadOverHours`. */
export function hourlyConsumption(readings: readonly RegisterReading[], rules: RegisterRules, window?: TimeSpan): { hours: HourValue[]; steps: Step[]; skipped: Skipped[] } {
  const { steps, skipped } = registerSteps(readings, rules);
  return { hours: spreadOverHours(steps, rules.tz, window), steps, skipped };
}

export interface IntervalValue {
  start: number;
  end: number;
  /** null: no reading covers any of its hours */
  value: number | null;
  estimated: boolean;
}

/** Sums local hours into intervals (hours and intervals both in time order). */
export function sumIntervals(hours: readonly HourValue[], intervals: readonly TimeSpan[]): IntervalValue[] {
  const out: IntervalValue[] = [];
  let i = 0;
  for (const span of intervals) {
    while (i < hours.length && hours[i]!.start < span.start) i++;
    let value: number | null = null;
    let estimated = false;
    for (let j = i; j < hours.length && hours[j]!.start < span.end; j++) {
      value = (value ?? 0) + hours[j]!.value;
      estimated ||= hours[j]!.estimated;
    }
    out.push({ start: span.start, end: span.end, value, estimated });
  }
  return out;
}
