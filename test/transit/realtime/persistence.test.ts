import { afterEach, describe, expect, it } from 'vitest';
import { BoardPublisher, stopsChannel } from '../../../services/transit/realtime/boards.ts';
import { RealtimeEngine } from '../../../services/transit/realtime/engine.ts';
import { sqliteTravelTimes } from '../../../services/transit/realtime/sqlite-repos.ts';
import { TravelTimes } from '../../../services/transit/realtime/travel-times.ts';
import { kyivMs, lineFeed } from './feed-fixture.ts';
import { Clock, drive, stopToStop } from './drive.ts';
import { openDb } from './app.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe('learned travel times', () => {
  it('survive a restart: written to the registry database, read back by a new engine', () => {
    const { db, remove } = openDb();
    cleanups.push(remove);
    const feed = lineFeed();
    const clock = new Clock(kyivMs(7, 59, 30));
    const travel = new TravelTimes(sqliteTravelTimes(db, clock.now));
    const engine = new RealtimeEngine(() => feed, clock.now, 'Europe/Kyiv', travel);
    for (const [v, m] of [['A', 0], ['B', 10]] as const) {
      clock.ms = kyivMs(7, 59 + m, 30);
      drive(engine, clock, v, 0, [{ toM: 0, seconds: 30 }, ...stopToStop(0, 4, 200, 30)]);
    }
    const learned = travel.mean('run', 'S1>S2', 8)!;
    expect(learned).toBeGreaterThan(150);
    expect(travel.flush()).toBeGreaterThan(0);
    expect(travel.flush()).toBe(0);
    const again = new TravelTimes(sqliteTravelTimes(db, clock.now));
    expect(again.mean('run', 'S1>S2', 8)).toBe(learned);
    expect(again.size).toBe(travel.size);
  });

  it('moves a mean only part of the way towards an outlier (a vehicle held for minutes)', () => {
    const t = new TravelTimes();
    for (let i = 0; i < 5; i++) t.observe('dwell', 'S1', 8, 30);
    t.observe('dwell', 'S1', 8, 900);
    // Clipped to 3 × 30 s before weighting: 30 + 0.3 × 60.
    expect(t.mean('dwell', 'S1', 8)).toBeCloseTo(48, 5);
    t.observe('run', 'X>Y', 8, -5);
    expect(t.mean('run', 'X>Y', 8)).toBeUndefined();
  });
});

describe('the /stops channel', () => {
  it('pushes a stop\'s board when it changes, to the room stop:{id}, and not again while it does not', () => {
    const feed = lineFeed();
    const clock = new Clock(kyivMs(7, 59, 30));
    const engine = new RealtimeEngine(() => feed, clock.now, 'Europe/Kyiv');
    const channel = stopsChannel(new BoardPublisher(engine, clock.now));
    expect(channel).toMatchObject({ namespace: '/stops', roomPrefixes: ['stop'] });
    expect(channel.tick(false)).toEqual([]);
    drive(engine, clock, 'V1', 0, [{ toM: 0, seconds: 30 }, { toM: 300, seconds: 60 }]);
    const [batch] = channel.tick(true);
    const boards = batch!.items as { stopId: string; arrivals: { vehicleId: string | null }[] }[];
    expect(batch!.event).toBe('arrivals');
    expect(boards.map((b) => b.stopId).sort()).toEqual(['S1', 'S2', 'S3', 'S4', 'S5']);
    expect(batch!.roomsOf(boards[0])).toEqual([`stop:${boards[0]!.stopId}`]);
    expect(boards.find((b) => b.stopId === 'S3')!.arrivals[0]!.vehicleId).toBe('V1');
    // Nothing changed: nothing sent.
    expect(channel.tick(true)[0]!.items).toEqual([]);
    // A minute later the minute counts moved on: the boards go again.
    clock.ms += 60_000;
    expect((channel.tick(true)[0]!.items as { stopId: string }[]).length).toBeGreaterThan(0);
  });
});
