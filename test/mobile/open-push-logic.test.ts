/**
 * The pure parts of the passengers' push: one BoardPublisher read by two namespaces (each gets
 * every changed board once, whichever reads first), a watched stop's board going out without a
 * vehicle, and the alerts in force per stop, sent only when they change. The clock is passed in.
 */
import { describe, expect, it } from 'vitest';
import type { StopBoard } from '../../services/contracts/index.ts';
import { alertsByStop, StopAlertsWatch } from '../../services/transit/open/stop-alerts.ts';
import { BoardPublisher } from '../../services/transit/realtime/boards.ts';
import { RealtimeEngine } from '../../services/transit/realtime/engine.ts';
import type { ServiceAlertInput } from '../../services/transit/realtime/gtfs-rt.ts';
import { EVERY_DAY } from '../support/gtfs-folder.ts';
import { Clock, drive } from '../transit/realtime/drive.ts';
import { kyivMs, lineFeed } from '../transit/realtime/feed-fixture.ts';

const ids = (boards: StopBoard[]) => boards.map((b) => b.stopId).sort();

describe('one board publisher, two readers', () => {
  it('gives each reader every changed board once, in whatever order they read', () => {
    const feed = lineFeed();
    const clock = new Clock(kyivMs(7, 59, 30));
    const engine = new RealtimeEngine(() => feed, clock.now, 'Europe/Kyiv');
    const publisher = new BoardPublisher(engine, clock.now);
    const stops = publisher.reader();
    const open = publisher.reader();
    drive(engine, clock, 'V1', 0, [{ toM: 0, seconds: 30 }, { toM: 300, seconds: 60 }]);
    const first = stops();
    expect(ids(first)).toEqual(['S1', 'S2', 'S3', 'S4', 'S5']);
    expect(ids(open())).toEqual(ids(first));
    // Nothing changed since: neither gets anything, read in the other order.
    expect(open()).toEqual([]);
    expect(stops()).toEqual([]);
    // A minute on, the counts moved: the second reader reading first still leaves the first its share.
    clock.ms += 60_000;
    const later = open();
    expect(later.length).toBeGreaterThan(0);
    expect(ids(stops())).toEqual(ids(later));
  });

  it('sends a watched stop’s board though no vehicle marked it, and again as its minutes move', () => {
    const feed = lineFeed({ firstH: 0, lastH: 25 });
    feed.calendars.set('WK', { serviceId: 'WK', ...EVERY_DAY });
    const clock = new Clock(kyivMs(7, 59, 30));
    const engine = new RealtimeEngine(() => feed, clock.now, 'Europe/Kyiv');
    const publisher = new BoardPublisher(engine, clock.now);
    const read = publisher.reader();
    expect(read()).toEqual([]);
    publisher.watch('S3');
    const [board] = read();
    expect(board?.stopId).toBe('S3');
    expect(board!.arrivals.length).toBeGreaterThan(0);
    expect(board!.arrivals.every((a) => !a.realtime)).toBe(true);
    expect(read()).toEqual([]);
    clock.ms += 60_000;
    expect(ids(read())).toEqual(['S3']);
  });
});

describe('alerts by stop', () => {
  const routeStops = new Map([['R1', ['S1', 'S2']], ['R2', ['S2', 'S3']]]);
  const alert = (id: string, over: Partial<ServiceAlertInput>): ServiceAlertInput => ({ id, routeIds: [], stopIds: [], startMs: null, endMs: null, header: { uk: `Увага ${id}`, en: `Notice ${id}` }, ...over });

  it('puts an alert on the stops it names and on every stop of the routes it names, in force only', () => {
    const byStop = alertsByStop([alert('a', { routeIds: ['R1'] }), alert('b', { stopIds: ['S3'] }), alert('later', { stopIds: ['S1'], startMs: 5_000 })], routeStops, 1_000);
    expect([...byStop.keys()].sort()).toEqual(['S1', 'S2', 'S3']);
    expect(byStop.get('S1')!.map((e) => e.id)).toEqual(['a']);
    expect(byStop.get('S3')).toEqual([{ id: 'b', alert: { activePeriod: [{}], informedEntity: [{ stopId: 'S3' }], headerText: { translation: [{ text: 'Увага b', language: 'uk' }, { text: 'Notice b', language: 'en' }] } } }]);
  });

  it('tells the stops whose alerts changed: when one is made, when one starts, and an empty list when the last one ends', () => {
    const watch = new StopAlertsWatch();
    expect(watch.changes([], routeStops, 0)).toEqual([]);
    const list = [alert('a', { routeIds: ['R2'], endMs: 10_000 }), alert('b', { stopIds: ['S1'], startMs: 5_000 })];
    const made = watch.changes(list, routeStops, 1_000);
    expect(made.map((x) => [x.stopId, x.alerts.map((e) => e.id)])).toEqual([['S2', ['a']], ['S3', ['a']]]);
    expect(made[0]!.generatedAt).toBe('1970-01-01T00:00:01.000Z');
    expect(watch.changes(list, routeStops, 2_000)).toEqual([]);
    expect(watch.changes(list, routeStops, 5_000).map((x) => [x.stopId, x.alerts.map((e) => e.id)])).toEqual([['S1', ['b']]]);
    expect(watch.changes(list, routeStops, 10_000).map((x) => [x.stopId, x.alerts.map((e) => e.id)]).sort()).toEqual([['S2', []], ['S3', []]]);
    const c = [alert('c', { routeIds: ['R2'] })];
    const summary = (xs: { stopId: string; alerts: { id: string }[] }[]) => xs.map((x) => [x.stopId, x.alerts.map((e) => e.id)]).sort();
    expect(summary(watch.changes(c, routeStops, 10_000))).toEqual([['S1', []], ['S2', ['c']], ['S3', ['c']]]);
    // A new feed, whose route R2 calls elsewhere: looked at again though the alerts are the same.
    expect(summary(watch.changes(c, new Map([['R2', ['S9']]]), 10_000))).toEqual([['S2', []], ['S3', []], ['S9', ['c']]]);
  });
});
