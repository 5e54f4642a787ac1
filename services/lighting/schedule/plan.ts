import type { IANAZone } from 'luxon';
import type { DimStep, LightingSchedule, PlanEntry, ScheduleException, SwitchOff, SwitchOn } from '../../contracts/index.ts';
import { addDays, isoWeekday, localDateOf, localToUtc, minuteOfDay } from './local-time.ts';
import { sunTimes, type Place } from './sun.ts';

/** The level before the night's first dimming step (and all night when there are none). */
export const FULL_LEVEL = 100;

/** One local evening: switch-on, switch-off and the dimming steps between, as epoch ms. */
export interface NightPlan {
  /** local date of the evening */
  date: string;
  on: number | null;
  off: number | null;
  /** the first step is at `on`; each later one changes the level; none at or after `off` */
  steps: { at: number; level: number }[];
  source: PlanEntry['source'];
  exception?: string;
  sunset: number | null;
  sunrise: number | null;
}

/**
 * A night runs from local noon to the next local noon: a wall time from 12:00 on belongs to the
 * evening's date, an earlier one to the next morning. So `off: 06:30` and a step at `01:00` are
 * the next day's, `on: 18:00` and a step at `23:00` the evening's.
 */
function nightInstant(date: string, hhmm: string, zone: IANAZone): number {
  const min = minuteOfDay(hhmm);
  return min >= 12 * 60 ? localToUtc(date, min, zone) : localToUtc(addDays(date, 1), min, zone);
}

const nightOrder = (hhmm: string): number => (minuteOfDay(hhmm) + 12 * 60) % (24 * 60);

interface Night {
  on: SwitchOn;
  off: SwitchOff;
  steps: DimStep[];
  minOnMin: number;
  unlit: boolean;
  source: PlanEntry['source'];
  exception?: ScheduleException;
}

/** What governs an evening: its exception, else its weekday set, else the schedule; unset fields fall through. */
function nightRules(s: LightingSchedule, date: string): Night {
  const base: Night = { on: s.on, off: s.off, steps: s.steps, minOnMin: s.minOnMin ?? 0, unlit: false, source: 'schedule' };
  const weekday = isoWeekday(date);
  const w = s.weekdays?.find((set) => set.days.includes(weekday));
  const withWeekday: Night = w
    ? { on: w.on ?? base.on, off: w.off ?? base.off, steps: w.steps ?? base.steps, minOnMin: w.minOnMin ?? base.minOnMin, unlit: w.unlit ?? false, source: 'weekday' }
    : base;
  const e = s.exceptions?.find((x) => x.date === date);
  if (!e) return withWeekday;
  return {
    on: e.on ?? withWeekday.on, off: e.off ?? withWeekday.off, steps: e.steps ?? withWeekday.steps,
    minOnMin: e.minOnMin ?? withWeekday.minOnMin, unlit: e.unlit ?? false, source: 'exception', exception: e,
  };
}

/** The plan of one local evening. */
export function planNight(schedule: LightingSchedule, date: string, place: Place, zone: IANAZone): NightPlan {
  const rules = nightRules(schedule, date);
  const { sunset } = sunTimes(date, place, zone);
  const { sunrise } = sunTimes(addDays(date, 1), place, zone);
  const dark: NightPlan = {
    date, on: null, off: null, steps: [], source: rules.source, sunset, sunrise,
    ...(rules.exception?.name ? { exception: rules.exception.name } : {}),
  };
  if (rules.unlit) return dark;

  const on = rules.on.event === 'time' ? nightInstant(date, rules.on.time!, zone) : sunset === null ? null : sunset + (rules.on.offsetMin ?? 0) * 60_000;
  let off = rules.off.event === 'time' ? nightInstant(date, rules.off.time!, zone) : sunrise === null ? null : sunrise + (rules.off.offsetMin ?? 0) * 60_000;
  // No sunset or sunrise (polar day or night) or a switch-off before the switch-on: no lighting.
  if (on === null || off === null || off <= on) return dark;
  // Minimal burning time: once on, lamps burn at least this long.
  off = Math.max(off, on + rules.minOnMin * 60_000);

  const stepTimes = [...rules.steps]
    .sort((a, b) => nightOrder(a.from) - nightOrder(b.from))
    .map((s) => ({ at: nightInstant(date, s.from, zone), level: s.level }));
  let level = FULL_LEVEL;
  for (const s of stepTimes) if (s.at <= on) level = s.level;
  const steps = [{ at: on, level }];
  for (const s of stepTimes) {
    if (s.at <= on || s.at >= off) continue;
    const last = steps[steps.length - 1]!;
    // Two steps inside the spring night's skipped hour start at the same instant: the later one wins.
    if (last.at === s.at) last.level = s.level;
    else if (last.level !== s.level) steps.push({ at: s.at, level: s.level });
  }
  return { ...dark, on, off, steps };
}

/** Every local evening from `fromDate` (inclusive) to `toDate` (exclusive). */
export function planNights(schedule: LightingSchedule, fromDate: string, toDate: string, place: Place, zone: IANAZone): NightPlan[] {
  const out: NightPlan[] = [];
  for (let d = fromDate; d < toDate; d = addDays(d, 1)) out.push(planNight(schedule, d, place, zone));
  return out;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** A night as the REST API shows it: instants in ISO 8601 UTC. */
export function toPlanEntry(n: NightPlan): PlanEntry {
  return {
    date: n.date, on: iso(n.on), off: iso(n.off),
    steps: n.steps.map((s) => ({ at: new Date(s.at).toISOString(), level: s.level })),
    source: n.source, ...(n.exception ? { exception: n.exception } : {}),
    sunset: iso(n.sunset), sunrise: iso(n.sunrise),
  };
}

/** `GET .../plan`: one entry per local evening, `fromDate` inclusive, `toDate` exclusive. */
export function plan(schedule: LightingSchedule, fromDate: string, toDate: string, place: Place, zone: IANAZone): PlanEntry[] {
  return planNights(schedule, fromDate, toDate, place, zone).map(toPlanEntry);
}

/**
 * The level the schedule asks for at an instant (0 when the lamps are off), and the night it
 * belongs to. An instant after local midnight may still be in the previous evening's night.
 */
export function scheduledAt(schedule: LightingSchedule, ms: number, place: Place, zone: IANAZone): { level: number; night: NightPlan | null } {
  const today = localDateOf(ms, zone);
  for (const date of [addDays(today, -1), today]) {
    const n = planNight(schedule, date, place, zone);
    if (n.on !== null && n.off !== null && ms >= n.on && ms < n.off) {
      let level = n.steps[0]!.level;
      for (const s of n.steps) if (s.at <= ms) level = s.level;
      return { level, night: n };
    }
  }
  return { level: 0, night: null };
}

/** The next instant after `ms` at which the scheduled level may change (for timers; within two nights). */
export function nextChangeAfter(schedule: LightingSchedule, ms: number, place: Place, zone: IANAZone): number | null {
  const today = localDateOf(ms, zone);
  const candidates: number[] = [];
  for (const date of [addDays(today, -1), today, addDays(today, 1)]) {
    const n = planNight(schedule, date, place, zone);
    for (const s of n.steps) candidates.push(s.at);
    if (n.off !== null) candidates.push(n.off);
  }
  const later = candidates.filter((t) => t > ms);
  return later.length ? Math.min(...later) : null;
}
