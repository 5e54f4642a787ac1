/** Pure logic of the dispatch page: the headway strip's layout and the alert editor's local times and issues. */
import { describe, expect, it } from 'vitest';
import type { RouteHeadways } from '../../services/contracts/index.ts';
import { isoToLocal, issuesByField, localDate, localToIso } from '../../dashboards/transit/alert-form.ts';
import { layoutStrip, lineLengthM } from '../../dashboards/transit/headway-strip.ts';

const hw = (ratio: number, rating: NonNullable<RouteHeadways['vehicles'][number]['headway']>['rating'], leader: string) => ({
  actualS: ratio * 600, scheduledS: 600, ratio, rating, leaderVehicleId: leader, stopId: 'S2', at: '2026-11-27T06:00:00.000Z',
});

describe('headway strip layout', () => {
  it('places vehicles by progress over the shape length and colours each gap by the follower\'s rating', () => {
    const group: RouteHeadways = {
      routeId: 'R1', directionId: 0,
      vehicles: [
        { vehicleId: 'B', tripId: 't2', progressM: 500, delayS: -30, headway: hw(0.3, 'very-bunched', 'A') },
        { vehicleId: 'C', tripId: 't3', progressM: 0, delayS: 0, headway: null },
        { vehicleId: 'A', tripId: 't1', progressM: 1000, delayS: 60, headway: hw(1.6, 'gapped', 'Z') },
      ],
    };
    const s = layoutStrip(group, 2000);
    expect(s.marks.map((m) => [m.vehicleId, m.x])).toEqual([['A', 0.5], ['B', 0.25], ['C', 0]]);
    expect(s.gaps).toEqual([
      { leaderId: 'A', followerId: 'B', from: 0.25, to: 0.5, rating: 'very-bunched', ratio: 0.3 },
      { leaderId: 'B', followerId: 'C', from: 0, to: 0.25, rating: null, ratio: null },
    ]);
  });

  it('scales to the furthest vehicle when the shape is unknown or shorter, and handles one vehicle', () => {
    const two: RouteHeadways = { routeId: 'R1', directionId: 1, vehicles: [{ vehicleId: 'A', tripId: 't', progressM: 800, delayS: 0, headway: null }, { vehicleId: 'B', tripId: 'u', progressM: 200, delayS: 0, headway: null }] };
    expect(layoutStrip(two, null).marks.map((m) => m.x)).toEqual([1, 0.25]);
    expect(layoutStrip(two, 400).marks.map((m) => m.x)).toEqual([1, 0.25]);
    const one = layoutStrip({ routeId: 'R1', directionId: 0, vehicles: [{ vehicleId: 'A', tripId: 't', progressM: 0, delayS: 0, headway: null }] }, 0);
    expect(one).toEqual({ routeId: 'R1', directionId: 0, marks: [{ vehicleId: 'A', tripId: 't', x: 0, delayS: 0 }], gaps: [] });
  });

  it('measures a line in metres', () => {
    // One degree of latitude is about 111.2 km.
    expect(lineLengthM([[48, 32], [48.5, 32], [49, 32]])).toBeCloseTo(111_195, -2);
    expect(lineLengthM([[48, 32]])).toBe(0);
  });
});

describe('service-alert editor: Kyiv wall-clock time', () => {
  it('converts a local time to UTC in winter and summer, and back', () => {
    expect(localToIso('2026-11-27T08:00', 'Europe/Kyiv')).toBe('2026-11-27T06:00:00.000Z');
    expect(localToIso('2026-07-01T08:00', 'Europe/Kyiv')).toBe('2026-07-01T05:00:00.000Z');
    expect(isoToLocal('2026-11-27T06:00:00.000Z', 'Europe/Kyiv')).toBe('2026-11-27T08:00');
    expect(isoToLocal('2026-07-01T05:00:00.000Z', 'Europe/Kyiv')).toBe('2026-07-01T08:00');
    expect(localToIso('', 'Europe/Kyiv')).toBeNull();
    expect(isoToLocal(null, 'Europe/Kyiv')).toBe('');
  });

  it('takes the repeated autumn hour at its first occurrence and a time skipped in spring after the change', () => {
    // 2026-10-25: 04:00 EEST becomes 03:00 EET; 2026-03-29: 03:00 EET becomes 04:00 EEST.
    expect(localToIso('2026-10-25T03:30', 'Europe/Kyiv')).toBe('2026-10-25T00:30:00.000Z');
    expect(localToIso('2026-03-29T03:30', 'Europe/Kyiv')).toBe('2026-03-29T01:30:00.000Z');
    expect(isoToLocal('2026-03-29T01:30:00.000Z', 'Europe/Kyiv')).toBe('2026-03-29T04:30');
  });

  it('gives the local date in the city, not UTC\'s', () => {
    expect(localDate(Date.parse('2026-11-27T22:30:00Z'), 'Europe/Kyiv')).toBe('2026-11-28');
    expect(localDate(Date.parse('2026-11-27T21:59:00Z'), 'Europe/Kyiv')).toBe('2026-11-27');
  });
});

describe('service-alert editor: issues to fields', () => {
  it('puts each REST issue next to the field it names; the rest under the form', () => {
    const m = issuesByField([
      { field: 'header.uk', reason: 'the Ukrainian text must not be empty' },
      { field: 'end', reason: 'must be after start' },
      { field: 'routeIds.1', reason: 'route X is not in the GTFS feed' },
      { field: 'stopIds.0', reason: 'stop Q is not in the GTFS feed' },
      { field: 'body.description.en', reason: 'must not be empty when given' },
      { field: 'header', reason: 'Required' },
      { field: 'colour', reason: 'unknown field' },
    ]);
    expect(Object.fromEntries(m)).toEqual({
      'header.uk': ['the Ukrainian text must not be empty', 'Required'],
      end: ['must be after start'],
      routeIds: ['route X is not in the GTFS feed'],
      stopIds: ['stop Q is not in the GTFS feed'],
      'description.en': ['must not be empty when given'],
      form: ['colour: unknown field'],
    });
  });
});
