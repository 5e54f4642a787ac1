import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { checkZone, dayStart, HOUR_MS, hourStart, localIntervals, localMidnight, LocalTimeError, nextDayStart } from '../../services/energy/consumption/local-time.ts';
import { hourlyConsumption, registerSteps, sumIntervals, type RegisterReading, type RegisterRules } from '../../services/energy/consumption/registers.ts';

const TZ = 'Europe/Kyiv';
const RULES: RegisterRules = { tz: TZ, unit: 'kWh' };
const at = (iso: string) => Date.parse(iso);
const kwh = (iso: string, value: number): RegisterReading => ({ ts: at(iso), value, unit: 'kWh' });

/** Readings every 15 minutes from `startIso`, the register rising `perStep` each time. */
function steady(startIso: string, count: number, perStep: number, base = 1000): RegisterReading[] {
  return Array.from({ length: count }, (_, i) => ({ ts: at(startIso) + i * 900_000, value: base + i * perStep, unit: 'kWh' as const }));
}

function daily(readings: RegisterReading[], from: string, to: string, rules: RegisterRules = RULES) {
  return sumIntervals(hourlyConsumption(readings, rules).hours, localIntervals(from, to, 'day', TZ));
}

describe('local intervals in Europe/Kyiv', () => {
  it('the spring-forward day has 23 hours, the fall-back day 25', () => {
    const days = localIntervals('2026-03-28', '2026-03-31', 'day', TZ);
    expect(days.map((d) => (d.end - d.start) / HOUR_MS)).toEqual([24, 23, 24]);
    expect(new Date(days[1]!.start).toISOString()).toBe('2026-03-28T22:00:00.000Z');
    expect(new Date(days[2]!.start).toISOString()).toBe('2026-03-29T21:00:00.000Z');
    const autumn = localIntervals('2026-10-25', '2026-10-26', 'day', TZ);
    expect((autumn[0]!.end - autumn[0]!.start) / HOUR_MS).toBe(25);
    expect(localIntervals('2026-10-25', '2026-10-26', 'hour', TZ)).toHaveLength(25);
    expect(localIntervals('2026-03-29', '2026-03-30', 'hour', TZ)).toHaveLength(23);
  });

  it('months start at local midnight of the 1st and the ends are clipped to the span', () => {
    const months = localIntervals('2026-01-15', '2026-04-01', 'month', TZ);
    expect(months.map((m) => [new Date(m.start).toISOString(), new Date(m.end).toISOString()])).toEqual([
      ['2026-01-14T22:00:00.000Z', '2026-01-31T22:00:00.000Z'],
      ['2026-01-31T22:00:00.000Z', '2026-02-28T22:00:00.000Z'],
      ['2026-02-28T22:00:00.000Z', '2026-03-31T21:00:00.000Z'],
    ]);
  });

  it('bad dates and spans name the field', () => {
    expect(() => localIntervals('2026-02-30', '2026-03-01', 'day', TZ)).toThrow(/from: "2026-02-30" is not a calendar date/);
    expect(() => localIntervals('2026-03-01', '2026-03-01', 'day', TZ)).toThrow(/to: must be a later date/);
    expect(() => localIntervals('2020-01-01', '2026-01-01', 'hour', TZ)).toThrow(LocalTimeError);
    expect(() => localMidnight('1.3.2026', TZ, 'from')).toThrow(/from: must be a date YYYY-MM-DD/);
    expect(() => checkZone('Mars/Olympus')).toThrow(/CITY_TZ/);
    expect(() => checkZone('Asia/Kolkata')).toThrow(/whole number of hours/);
  });

  it('each of the two 03:00 hours of the fall-back day is its own hour', () => {
    const first = at('2026-10-25T00:30:00Z'); // 03:30 EEST
    const second = at('2026-10-25T01:30:00Z'); // 03:30 EET
    expect(hourStart(first, TZ)).toBe(at('2026-10-25T00:00:00Z'));
    expect(hourStart(second, TZ)).toBe(at('2026-10-25T01:00:00Z'));
  });
});

describe('consumption from register readings', () => {
  it('deltas spread over the hours they cover, the multiplier applied', () => {
    const { hours } = hourlyConsumption([kwh('2026-05-04T09:45:00Z', 100), kwh('2026-05-04T10:15:00Z', 106)], { ...RULES, multiplier: 40 });
    expect(hours).toEqual([
      { start: at('2026-05-04T09:00:00Z'), value: 120, estimated: false },
      { start: at('2026-05-04T10:00:00Z'), value: 120, estimated: false },
    ]);
  });

  it('a register that wraps past 999 999 counts on from zero', () => {
    const { steps } = registerSteps([kwh('2026-05-04T10:00:00Z', 999_950), kwh('2026-05-04T10:15:00Z', 30)], RULES);
    expect(steps).toEqual([expect.objectContaining({ kind: 'rollover', value: 80, estimated: false })]);
    // An explicit register size overrides the digit rule.
    const sized = registerSteps([kwh('2026-05-04T10:00:00Z', 95_000), kwh('2026-05-04T10:15:00Z', 30)], { ...RULES, registerMax: 100_000 });
    expect(sized.steps[0]).toMatchObject({ kind: 'rollover', value: 5030 });
  });

  it('a replaced meter (a drop that is no rollover) starts a new run; the step between is estimated at the neighbouring rate', () => {
    const readings = [
      kwh('2026-05-04T10:00:00Z', 5000), kwh('2026-05-04T10:15:00Z', 5010), kwh('2026-05-04T10:30:00Z', 5020),
      // new meter, register from 3
      kwh('2026-05-04T10:45:00Z', 3), kwh('2026-05-04T11:00:00Z', 13), kwh('2026-05-04T11:15:00Z', 23),
    ];
    const { steps, hours } = hourlyConsumption(readings, RULES);
    expect(steps.map((s) => s.kind)).toEqual(['delta', 'delta', 'reset', 'delta', 'delta']);
    expect(steps[2]).toMatchObject({ value: 10, estimated: true });
    // Nothing from the new register's 3 is taken as consumption, nor the old register's 5020 as negative.
    expect(hours).toEqual([
      { start: at('2026-05-04T10:00:00Z'), value: 40, estimated: true },
      { start: at('2026-05-04T11:00:00Z'), value: 10, estimated: false },
    ]);
  });

  it('a gap is spread linearly over the hours it covers and marked estimated', () => {
    const readings = [kwh('2026-05-04T08:00:00Z', 100), kwh('2026-05-04T09:00:00Z', 110), kwh('2026-05-04T13:00:00Z', 150), kwh('2026-05-04T14:00:00Z', 160)];
    const { hours } = hourlyConsumption(readings, RULES);
    expect(hours.map((h) => [new Date(h.start).toISOString().slice(11, 13), h.value, h.estimated])).toEqual([
      ['08', 10, false], ['09', 10, true], ['10', 10, true], ['11', 10, true], ['12', 10, true], ['13', 10, false],
    ]);
    const [day] = daily(readings, '2026-05-04', '2026-05-05');
    expect(day).toMatchObject({ value: 60, estimated: true });
  });

  it('a duplicate reading counts once; a corrected one (same ts, given later) replaces it', () => {
    const base = [kwh('2026-05-04T10:00:00Z', 100), kwh('2026-05-04T10:15:00Z', 105), kwh('2026-05-04T10:30:00Z', 110)];
    const dup = hourlyConsumption([...base, kwh('2026-05-04T10:15:00Z', 105), kwh('2026-05-04T10:30:00Z', 110)], RULES);
    expect(dup.steps).toHaveLength(2);
    expect(dup.hours[0]!.value).toBe(10);
    const corrected = hourlyConsumption([...base, kwh('2026-05-04T10:30:00Z', 112)], RULES);
    expect(corrected.hours[0]!.value).toBe(12);
  });

  it('out-of-order readings give what the same readings in order give', () => {
    const inOrder = steady('2026-05-04T06:00:00Z', 20, 2.5);
    const shuffled = [...inOrder].reverse();
    [shuffled[3], shuffled[11]] = [shuffled[11]!, shuffled[3]!];
    expect(hourlyConsumption(shuffled, RULES).hours).toEqual(hourlyConsumption(inOrder, RULES).hours);
  });

  it('a late reading for last month corrects last month', () => {
    // Readings end on 31 January at 20:00 local and pick up on 3 February: a gap across the month boundary.
    const before = [kwh('2026-01-31T17:00:00Z', 1000), kwh('2026-01-31T18:00:00Z', 1010), kwh('2026-02-03T10:00:00Z', 1640)];
    const monthsBefore = sumIntervals(hourlyConsumption(before, RULES).hours, localIntervals('2026-01-01', '2026-03-01', 'month', TZ));
    // 18:00Z → 22:00Z (local midnight of 1 February) is 4 of the 64 hours of the gap.
    expect(monthsBefore[0]).toMatchObject({ value: 10 + 630 * (4 / 64), estimated: true });
    expect(monthsBefore[1]).toMatchObject({ value: 630 * (60 / 64), estimated: true });
    // The meter's buffered reading of 31 January 23:45 local arrives on 3 February.
    const late = [...before, kwh('2026-01-31T21:45:00Z', 1100)];
    const monthsAfter = sumIntervals(hourlyConsumption(late, RULES).hours, localIntervals('2026-01-01', '2026-03-01', 'month', TZ));
    expect(monthsAfter[0]!.value).toBeCloseTo(100 + 540 * (0.25 / 60.25), 9);
    expect(monthsAfter[1]!.value).toBeCloseTo(540 * (60 / 60.25), 9);
    expect(monthsAfter[0]!.value! + monthsAfter[1]!.value!).toBeCloseTo(640, 9);
  });

  it('the spring-forward day sums 23 hours and the fall-back day 25', () => {
    // 1 kWh every hour, read every 15 minutes, from the day before to the day after.
    const spring = steady('2026-03-27T22:00:00Z', 4 * 24 * 3 + 1, 0.25);
    const days = daily(spring, '2026-03-28', '2026-03-31');
    expect(days.map((d) => d.value)).toEqual([24, 23, 24]);
    expect(days.every((d) => !d.estimated)).toBe(true);
    const autumn = steady('2026-10-23T21:00:00Z', 4 * 24 * 3 + 5, 0.25);
    expect(daily(autumn, '2026-10-24', '2026-10-27').map((d) => d.value)).toEqual([24, 25, 24]);
    // Hour by hour the fall-back day has two 03:00 hours, each with its own 1 kWh.
    const hours = sumIntervals(hourlyConsumption(autumn, RULES).hours, localIntervals('2026-10-25', '2026-10-26', 'hour', TZ));
    expect(hours).toHaveLength(25);
    expect(hours.every((h) => h.value === 1)).toBe(true);
  });

  it('a day boundary falls at local midnight, not UTC midnight', () => {
    // 10 kWh between 23:00 and 01:00 local on 4–5 May (20:00–22:00 UTC): half on each local day.
    const days = daily([kwh('2026-05-04T20:00:00Z', 0), kwh('2026-05-04T22:00:00Z', 10)], '2026-05-04', '2026-05-06', { ...RULES, gapMs: 3 * HOUR_MS });
    expect(days.map((d) => d.value)).toEqual([5, 5]);
  });

  it('intervals no reading covers are null, not zero', () => {
    const days = daily(steady('2026-05-05T06:00:00Z', 5, 1), '2026-05-04', '2026-05-07');
    expect(days.map((d) => d.value)).toEqual([null, 4, null]);
  });

  it('readings in Gcal count on a meter in GJ; readings in m3 on it are skipped with the reason', () => {
    const readings: RegisterReading[] = [
      { ts: at('2026-01-10T10:00:00Z'), value: 10, unit: 'Gcal' }, { ts: at('2026-01-10T10:30:00Z'), value: 11, unit: 'Gcal' },
      { ts: at('2026-01-10T10:45:00Z'), value: 500, unit: 'm3' },
    ];
    const { hours, skipped } = hourlyConsumption(readings, { tz: TZ, unit: 'GJ' });
    expect(hours[0]!.value).toBeCloseTo(4.1868, 9);
    expect(skipped).toEqual([{ ts: at('2026-01-10T10:45:00Z'), reason: 'unit: m3 cannot be counted on a meter in GJ' }]);
  });

  it('a window keeps only its hours', () => {
    const readings = [kwh('2026-05-04T08:00:00Z', 0), kwh('2026-05-04T20:00:00Z', 120)];
    const { hours } = hourlyConsumption(readings, RULES, { start: at('2026-05-04T12:00:00Z'), end: at('2026-05-04T14:00:00Z') });
    expect(hours).toEqual([
      { start: at('2026-05-04T12:00:00Z'), value: 10, estimated: true },
      { start: at('2026-05-04T13:00:00Z'), value: 10, estimated: true },
    ]);
  });
});

describe('local midnights on the hot path', () => {
  it('dayStart and nextDayStart agree with luxon on every day of 2026, DST days included', () => {
    for (let d = DateTime.fromISO('2026-01-01', { zone: TZ }); d.year === 2026; d = d.plus({ days: 1 })) {
      const start = d.startOf('day').toMillis();
      const end = d.plus({ days: 1 }).startOf('day').toMillis();
      expect(dayStart(start, TZ)).toBe(start);
      expect(dayStart(end - 1, TZ)).toBe(start);
      expect(dayStart(start + 3 * HOUR_MS + 1, TZ)).toBe(start);
      expect(nextDayStart(start + HOUR_MS, TZ)).toBe(end);
    }
  });
});
