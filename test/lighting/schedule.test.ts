import { describe, expect, it } from 'vitest';
import { LightingSchedule, type LightingScheduleInput } from '../../services/contracts/index.ts';
import { addDays, localToUtc, zoneOf } from '../../services/lighting/schedule/local-time.ts';
import { plan, planNight, scheduledAt } from '../../services/lighting/schedule/plan.ts';

const CITY = { lat: 48.5079, lon: 32.2623 };
const KYIV = zoneOf('Europe/Kyiv');
const schedule = (s: LightingScheduleInput) => LightingSchedule.parse(s);
const utc = (s: string) => Date.parse(s);

/**
 * An independent sunrise/sunset: the NOAA solar calculator's equations (Meeus, as in NOAA's
 * spreadsheet), iterated once at the event's own time. Returns epoch ms of the event on the
 * UTC date given (for this longitude both events fall on the same UTC date as the local one).
 */
function noaa(date: string, lat: number, lon: number, event: 'sunrise' | 'sunset'): number {
  const rad = Math.PI / 180;
  const midnight = Date.parse(`${date}T00:00:00Z`);
  let minutes = 720;
  for (let i = 0; i < 3; i++) {
    const jd = (midnight + minutes * 60_000) / 86_400_000 + 2440587.5;
    const t = (jd - 2451545) / 36525;
    const l0 = (((280.46646 + t * (36000.76983 + t * 0.0003032)) % 360) + 360) % 360;
    const m = 357.52911 + t * (35999.05029 - 0.0001537 * t);
    const e = 0.016708634 - t * (0.000042037 + 0.0000001267 * t);
    const c = Math.sin(m * rad) * (1.914602 - t * (0.004817 + 0.000014 * t)) + Math.sin(2 * m * rad) * (0.019993 - 0.000101 * t) + Math.sin(3 * m * rad) * 0.000289;
    const omega = 125.04 - 1934.136 * t;
    const lambda = l0 + c - 0.00569 - 0.00478 * Math.sin(omega * rad);
    const eps0 = 23 + (26 + (21.448 - t * (46.815 + t * (0.00059 - t * 0.001813))) / 60) / 60;
    const eps = eps0 + 0.00256 * Math.cos(omega * rad);
    const decl = Math.asin(Math.sin(eps * rad) * Math.sin(lambda * rad));
    const y = Math.tan((eps / 2) * rad) ** 2;
    const eqTime = (4 / rad) * (y * Math.sin(2 * l0 * rad) - 2 * e * Math.sin(m * rad) + 4 * e * y * Math.sin(m * rad) * Math.cos(2 * l0 * rad)
      - 0.5 * y * y * Math.sin(4 * l0 * rad) - 1.25 * e * e * Math.sin(2 * m * rad));
    const ha = Math.acos(Math.cos(90.833 * rad) / (Math.cos(lat * rad) * Math.cos(decl)) - Math.tan(lat * rad) * Math.tan(decl)) / rad;
    const noon = 720 - 4 * lon - eqTime;
    minutes = event === 'sunrise' ? noon - 4 * ha : noon + 4 * ha;
  }
  return midnight + minutes * 60_000;
}

describe('local wall times in Europe/Kyiv', () => {
  it('maps ordinary, repeated and skipped times', () => {
    expect(new Date(localToUtc('2026-01-15', 18 * 60, KYIV)).toISOString()).toBe('2026-01-15T16:00:00.000Z');
    expect(new Date(localToUtc('2026-07-15', 18 * 60, KYIV)).toISOString()).toBe('2026-07-15T15:00:00.000Z');
    // 2026-03-29: 03:00 EET → 04:00 EEST; 03:30 never happens, it has passed at the jump (01:00Z)
    expect(new Date(localToUtc('2026-03-29', 3 * 60 + 30, KYIV)).toISOString()).toBe('2026-03-29T01:00:00.000Z');
    expect(new Date(localToUtc('2026-03-29', 2 * 60 + 59, KYIV)).toISOString()).toBe('2026-03-29T00:59:00.000Z');
    expect(new Date(localToUtc('2026-03-29', 4 * 60, KYIV)).toISOString()).toBe('2026-03-29T01:00:00.000Z');
    // 2026-10-25: 04:00 EEST → 03:00 EET; 03:30 happens twice, the first time counts (00:30Z)
    expect(new Date(localToUtc('2026-10-25', 3 * 60 + 30, KYIV)).toISOString()).toBe('2026-10-25T00:30:00.000Z');
    expect(new Date(localToUtc('2026-10-25', 4 * 60, KYIV)).toISOString()).toBe('2026-10-25T02:00:00.000Z');
  });
});

describe('a whole year of switch times against the NOAA equations', () => {
  it.each([
    { onOffset: 0, offOffset: 0 },
    { onOffset: 15, offOffset: -20 },
  ])('every evening of 2026 (sunset%+d min, sunrise%+d min) within one minute', ({ onOffset, offOffset }) => {
    const s = schedule({ on: { event: 'sunset', offsetMin: onOffset }, off: { event: 'sunrise', offsetMin: offOffset }, steps: [] });
    const nights = plan(s, '2026-01-01', '2027-01-01', CITY, KYIV);
    expect(nights).toHaveLength(365);
    expect(nights[0]!.date).toBe('2026-01-01');
    expect(nights.at(-1)!.date).toBe('2026-12-31');
    let worst = 0;
    for (const n of nights) {
      const sunset = noaa(n.date, CITY.lat, CITY.lon, 'sunset') + onOffset * 60_000;
      const sunrise = noaa(addDays(n.date, 1), CITY.lat, CITY.lon, 'sunrise') + offOffset * 60_000;
      const dOn = Math.abs(Date.parse(n.on!) - sunset);
      const dOff = Math.abs(Date.parse(n.off!) - sunrise);
      worst = Math.max(worst, dOn, dOff);
      expect(dOn, `${n.date} on ${n.on} vs NOAA ${new Date(sunset).toISOString()}`).toBeLessThanOrEqual(60_000);
      expect(dOff, `${n.date} off ${n.off} vs NOAA ${new Date(sunrise).toISOString()}`).toBeLessThanOrEqual(60_000);
      expect(n.steps).toEqual([{ at: n.on, level: 100 }]);
    }
    expect(worst).toBeGreaterThan(0);
  });

  it('both DST nights: local sunset moves by about an hour, the instants by about a minute', () => {
    const s = schedule({ on: { event: 'sunset' }, off: { event: 'sunrise' } });
    for (const [before, after] of [['2026-03-28', '2026-03-29'], ['2026-10-24', '2026-10-25']] as const) {
      const [a, b] = plan(s, before, addDays(after, 1), CITY, KYIV);
      expect(a!.date).toBe(before);
      expect(b!.date).toBe(after);
      for (const n of [a!, b!]) {
        expect(Math.abs(Date.parse(n.on!) - noaa(n.date, CITY.lat, CITY.lon, 'sunset'))).toBeLessThanOrEqual(60_000);
        expect(Math.abs(Date.parse(n.off!) - noaa(addDays(n.date, 1), CITY.lat, CITY.lon, 'sunrise'))).toBeLessThanOrEqual(60_000);
      }
      // one day apart, sunset's UTC instant moves by a couple of minutes at most
      expect(Math.abs(Date.parse(b!.on!) - Date.parse(a!.on!) - 86_400_000)).toBeLessThan(4 * 60_000);
    }
  });
});

describe('fixed times and dimming steps across DST', () => {
  const fixed = schedule({
    on: { event: 'time', time: '18:00' },
    off: { event: 'time', time: '06:30' },
    steps: [{ from: '23:00', level: 50 }, { from: '03:30', level: 30 }, { from: '05:00', level: 100 }],
  });

  it('an ordinary winter night', () => {
    expect(planNight(fixed, '2026-01-15', CITY, KYIV)).toMatchObject({
      on: utc('2026-01-15T16:00:00Z'), off: utc('2026-01-16T04:30:00Z'),
      steps: [
        { at: utc('2026-01-15T16:00:00Z'), level: 100 },
        { at: utc('2026-01-15T21:00:00Z'), level: 50 },
        { at: utc('2026-01-16T01:30:00Z'), level: 30 },
        { at: utc('2026-01-16T03:00:00Z'), level: 100 },
      ],
    });
  });

  it('the spring night (2026-03-28 → 29) is an hour shorter; the step in the skipped hour starts at the jump', () => {
    const [n] = plan(fixed, '2026-03-28', '2026-03-29', CITY, KYIV);
    expect(n).toMatchObject({
      date: '2026-03-28', on: '2026-03-28T16:00:00.000Z', off: '2026-03-29T03:30:00.000Z',
      steps: [
        { at: '2026-03-28T16:00:00.000Z', level: 100 },
        { at: '2026-03-28T21:00:00.000Z', level: 50 },
        { at: '2026-03-29T01:00:00.000Z', level: 30 },
        { at: '2026-03-29T02:00:00.000Z', level: 100 },
      ],
    });
    expect(Date.parse(n!.off!) - Date.parse(n!.on!)).toBe(11.5 * 3_600_000);
  });

  it('the autumn night (2026-10-24 → 25) is an hour longer; the step in the repeated hour fires once, the first time', () => {
    const [n] = plan(fixed, '2026-10-24', '2026-10-25', CITY, KYIV);
    expect(n).toMatchObject({
      on: '2026-10-24T15:00:00.000Z', off: '2026-10-25T04:30:00.000Z',
      steps: [
        { at: '2026-10-24T15:00:00.000Z', level: 100 },
        { at: '2026-10-24T20:00:00.000Z', level: 50 },
        { at: '2026-10-25T00:30:00.000Z', level: 30 },
        { at: '2026-10-25T03:00:00.000Z', level: 100 },
      ],
    });
    expect(Date.parse(n!.off!) - Date.parse(n!.on!)).toBe(13.5 * 3_600_000);
  });

  it('two steps inside the skipped hour: the later one wins at the jump', () => {
    const s = schedule({ on: { event: 'time', time: '18:00' }, off: { event: 'time', time: '06:30' }, steps: [{ from: '03:10', level: 40 }, { from: '03:40', level: 20 }] });
    expect(planNight(s, '2026-03-28', CITY, KYIV).steps).toEqual([
      { at: utc('2026-03-28T16:00:00Z'), level: 100 },
      { at: utc('2026-03-29T01:00:00Z'), level: 20 },
    ]);
  });

  it('a step before switch-on sets the starting level; steps after switch-off are dropped; equal levels merge', () => {
    const s = schedule({
      on: { event: 'sunset' }, off: { event: 'sunrise' },
      steps: [{ from: '12:00', level: 80 }, { from: '22:00', level: 80 }, { from: '01:00', level: 40 }, { from: '11:00', level: 10 }],
    });
    const n = planNight(s, '2026-12-01', CITY, KYIV);
    expect(n.steps).toEqual([{ at: n.on, level: 80 }, { at: utc('2026-12-01T23:00:00Z'), level: 40 }]);
  });
});

describe('minimal burning time, weekday sets, calendar exceptions', () => {
  it('minOnMin keeps lamps on at least that long', () => {
    const s = schedule({ on: { event: 'sunset', offsetMin: 180 }, off: { event: 'sunrise', offsetMin: -180 }, minOnMin: 120 });
    const n = planNight(s, '2026-06-21', CITY, KYIV);
    // midsummer: sunset ~17:57Z, sunrise ~01:49Z; +3 h and −3 h leave under 2 h: stretched to 2 h
    expect(n.on).toBeTypeOf('number');
    expect(n.off! - n.on!).toBe(120 * 60_000);
    const winter = planNight(s, '2026-12-21', CITY, KYIV);
    expect(winter.off! - winter.on!).toBeGreaterThan(120 * 60_000);
  });

  it('a switch-off before the switch-on means no lighting that night', () => {
    const s = schedule({ on: { event: 'sunset', offsetMin: 240 }, off: { event: 'time', time: '21:00' } });
    expect(planNight(s, '2026-06-21', CITY, KYIV)).toMatchObject({ on: null, off: null, steps: [] });
  });

  it('weekday sets change their evenings; exceptions change their dates above both', () => {
    const s = schedule({
      on: { event: 'sunset' }, off: { event: 'sunrise' }, steps: [{ from: '23:00', level: 50 }],
      weekdays: [{ days: [5, 6], steps: [{ from: '01:00', level: 60 }] }],
      exceptions: [
        { date: '2026-12-31', name: 'New Year', steps: [] },
        { date: '2026-08-24', name: 'Independence Day event', on: { event: 'time', time: '20:00' }, off: { event: 'time', time: '02:00' } },
        { date: '2026-07-01', name: 'curfew test', unlit: true },
      ],
    });
    const [thu, fri, sat, sun] = planNights(s, '2026-12-03');
    expect(thu).toMatchObject({ source: 'schedule', steps: [{ level: 100 }, { at: '2026-12-03T21:00:00.000Z', level: 50 }] });
    expect(fri).toMatchObject({ source: 'weekday', steps: [{ level: 100 }, { at: '2026-12-04T23:00:00.000Z', level: 60 }] });
    expect(sat!.source).toBe('weekday');
    expect(sun!.source).toBe('schedule');
    const [nye] = plan(s, '2026-12-31', '2027-01-01', CITY, KYIV);
    expect(nye).toMatchObject({ source: 'exception', exception: 'New Year' });
    expect(nye!.steps).toHaveLength(1);
    const [event] = plan(s, '2026-08-24', '2026-08-25', CITY, KYIV);
    expect(event).toMatchObject({ on: '2026-08-24T17:00:00.000Z', off: '2026-08-24T23:00:00.000Z' });
    const [curfew] = plan(s, '2026-07-01', '2026-07-02', CITY, KYIV);
    expect(curfew).toMatchObject({ on: null, off: null, steps: [], source: 'exception', exception: 'curfew test' });
    expect(curfew!.sunset).not.toBeNull();

    function planNights(sch: LightingSchedule, from: string) {
      return plan(sch, from, addDays(from, 4), CITY, KYIV);
    }
  });
});

describe('the scheduled level at an instant', () => {
  const s = schedule({ on: { event: 'time', time: '18:00' }, off: { event: 'time', time: '06:30' }, steps: [{ from: '23:00', level: 50 }] });
  it('follows the night, also after local midnight', () => {
    expect(scheduledAt(s, utc('2026-01-15T15:59:00Z'), CITY, KYIV).level).toBe(0);
    expect(scheduledAt(s, utc('2026-01-15T16:00:00Z'), CITY, KYIV).level).toBe(100);
    expect(scheduledAt(s, utc('2026-01-15T21:00:00Z'), CITY, KYIV).level).toBe(50);
    const afterMidnight = scheduledAt(s, utc('2026-01-16T02:00:00Z'), CITY, KYIV);
    expect(afterMidnight.level).toBe(50);
    expect(afterMidnight.night!.date).toBe('2026-01-15');
    expect(scheduledAt(s, utc('2026-01-16T04:30:00Z'), CITY, KYIV).level).toBe(0);
  });
});

describe('schedule validation names the field and the reason', () => {
  it.each([
    [{ on: { event: 'time' }, off: { event: 'sunrise' } }, 'on.time', 'is required when event is "time"'],
    [{ on: { event: 'sunset', time: '18:00' }, off: { event: 'sunrise' } }, 'on.time', 'is only for event "time"'],
    [{ on: { event: 'sunset' }, off: { event: 'sunrise', offsetMin: 1000 } }, 'off.offsetMin', 'must be ≤ 240 minutes'],
    [{ on: { event: 'sunset' }, off: { event: 'sunrise' }, steps: [{ from: '24:00', level: 50 }] }, 'steps.0.from', 'must be HH:MM'],
    [{ on: { event: 'sunset' }, off: { event: 'sunrise' }, steps: [{ from: '23:00', level: 150 }] }, 'steps.0.level', 'must be ≤ 100'],
    [{ on: { event: 'sunset' }, off: { event: 'sunrise' }, steps: [{ from: '23:00', level: 50 }, { from: '23:00', level: 40 }] }, 'steps.1.from', 'appears twice'],
    [{ on: { event: 'sunset' }, off: { event: 'sunrise' }, exceptions: [{ date: '2026-02-30' }] }, 'exceptions.0.date', 'is not a calendar date'],
    [{ on: { event: 'sunset' }, off: { event: 'sunrise' }, weekdays: [{ days: [1] }, { days: [1, 2] }] }, 'weekdays.1.days.0', 'already in weekday set 0'],
  ])('%j → %s', (input, field, reason) => {
    const r = LightingSchedule.safeParse(input);
    expect(r.success).toBe(false);
    const issue = r.error!.issues.find((i) => i.path.join('.') === field);
    expect(issue?.message, JSON.stringify(r.error!.issues)).toContain(reason);
  });
});
