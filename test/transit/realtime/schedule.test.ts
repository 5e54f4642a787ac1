import { describe, expect, it } from 'vitest';
import { ActiveTrips, FeedIndex, arrivalMs, instancesAround } from '../../../services/transit/schedule/active-trips.ts';
import { LocalHours, formatGtfsTime, localDate, serviceDayStartMs, servicesOn } from '../../../services/transit/schedule/service-day.ts';
import { emptyFeed, hms, kyivMs, lineFeed } from './feed-fixture.ts';

const KYIV = 'Europe/Kyiv';

describe('service day', () => {
  it('starts at local midnight on an ordinary day', () => {
    expect(new Date(serviceDayStartMs('20261127', KYIV)).toISOString()).toBe('2026-11-26T22:00:00.000Z');
    expect(new Date(serviceDayStartMs('20260715', KYIV)).toISOString()).toBe('2026-07-14T21:00:00.000Z');
  });

  it('counts from noon − 12 h on the days the clocks change, so 08:00:00 is 08:00 on the wall clock', () => {
    // 2026-03-29: clocks go 03:00 → 04:00; noon is 09:00Z, the origin 21:00Z the day before (23:00 local).
    const spring = serviceDayStartMs('20260329', KYIV);
    expect(new Date(spring).toISOString()).toBe('2026-03-28T21:00:00.000Z');
    expect(new Date(spring + hms(8) * 1000).toISOString()).toBe('2026-03-29T05:00:00.000Z'); // 08:00 EEST
    // 2026-10-25: clocks go 04:00 → 03:00; noon is 10:00Z, the origin 22:00Z (01:00 local, still summer time).
    const autumn = serviceDayStartMs('20261025', KYIV);
    expect(new Date(autumn).toISOString()).toBe('2026-10-24T22:00:00.000Z');
    expect(new Date(autumn + hms(8) * 1000).toISOString()).toBe('2026-10-25T06:00:00.000Z'); // 08:00 EET
  });

  it('names the local date and hour of an instant', () => {
    expect(localDate(Date.UTC(2026, 10, 26, 22, 30), KYIV)).toBe('20261127');
    expect(localDate(Date.UTC(2026, 10, 26, 21, 30), KYIV)).toBe('20261126');
    expect(new LocalHours(KYIV).hourOf(Date.UTC(2026, 6, 1, 5, 10))).toBe(8);
    expect(formatGtfsTime(hms(25, 3, 7))).toBe('25:03:07');
  });

  it('runs services by weekday within the calendar range, with calendar_dates added and removed', () => {
    const feed = emptyFeed();
    feed.calendars.set('WD', { serviceId: 'WD', days: [true, true, true, true, true, false, false], startDate: '20261101', endDate: '20261130' });
    feed.calendars.set('WE', { serviceId: 'WE', days: [false, false, false, false, false, true, true], startDate: '20261101', endDate: '20261130' });
    feed.calendarDates.push({ serviceId: 'WD', date: '20261127', exceptionType: 2 }, { serviceId: 'WE', date: '20261127', exceptionType: 1 }, { serviceId: 'XMAS', date: '20261225', exceptionType: 1 });
    expect([...servicesOn(feed, '20261126')]).toEqual(['WD']); // Thursday
    expect([...servicesOn(feed, '20261127')]).toEqual(['WE']); // Friday, run as a weekend
    expect([...servicesOn(feed, '20261128')]).toEqual(['WE']); // Saturday
    expect([...servicesOn(feed, '20261201')]).toEqual([]); // after the range
    expect([...servicesOn(feed, '20261225')]).toEqual(['XMAS']);
  });
});

describe('active trips', () => {
  it('lists the instances running around now with the instant of each stop_time', () => {
    const index = new FeedIndex(lineFeed());
    const list = instancesAround(index, kyivMs(8, 5), KYIV, { graceMs: 0, lookaheadMs: 0 });
    // Trips take 8 minutes; at 08:05 the 08:00 ones (both directions) run.
    expect(list.map((i) => i.key).sort()).toEqual(['T0-480@20261127', 'T1-480@20261127']);
    const inst = list.find((i) => i.trip.tripId === 'T0-480')!;
    expect(inst.startTime).toBe('08:00:00');
    expect(arrivalMs(inst, 2)).toBe(kyivMs(8, 4));
  });

  it('keeps yesterday\'s trips that run past midnight (times over 24:00:00)', () => {
    const feed = lineFeed({ firstH: 24, lastH: 25 });
    const index = new FeedIndex(feed);
    const at = Date.UTC(2026, 10, 27, 23, 5); // 2026-11-28 01:05 local
    const list = instancesAround(index, at, KYIV, { graceMs: 0, lookaheadMs: 0 });
    expect(list.map((i) => i.key)).toContain('T0-1500@20261127');
    expect(list.find((i) => i.key === 'T0-1500@20261127')!.startTime).toBe('25:00:00');
  });

  it('expands frequency-based trips into one instance per start', () => {
    const feed = lineFeed({ firstH: 6, lastH: 6 });
    feed.frequencies.push({ tripId: 'T0-360', startS: hms(7), endS: hms(9), headwayS: 900, exactTimes: 1 });
    const active = new ActiveTrips(new FeedIndex(feed), KYIV, { graceMs: 0, lookaheadMs: 30 * 60_000 });
    const list = active.ofTrip('T0-360', kyivMs(8, 0));
    // The 07:45 start ended at 07:53, before the window; starts every 15 minutes up to 08:30 (08:00 + 30 min).
    expect(list.map((i) => i.startTime)).toEqual(['08:00:00', '08:15:00', '08:30:00']);
    const second = list[0]!;
    expect(second.key).toBe('T0-360@20261127@28800');
    expect(arrivalMs(second, 4)).toBe(kyivMs(8, 8));
  });
});
