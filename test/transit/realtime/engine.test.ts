import { describe, expect, it } from 'vitest';
import { RealtimeEngine, TRACKER_STALE_MS } from '../../../services/transit/realtime/engine.ts';
import { TravelTimes } from '../../../services/transit/realtime/travel-times.ts';
import { at, kyivMs, lineFeed } from './feed-fixture.ts';
import { Clock, drive, stopToStop } from './drive.ts';

const KYIV = 'Europe/Kyiv';

function setup(feed = lineFeed(), startMs = kyivMs(7, 59, 30)) {
  const clock = new Clock(startMs);
  const engine = new RealtimeEngine(() => feed, clock.now, KYIV);
  return { feed, clock, engine };
}

describe('trip assignment', () => {
  it('assigns a vehicle leaving the terminus to the trip departing then, and follows it along the shape', () => {
    const { clock, engine } = setup();
    drive(engine, clock, 'V1', 0, [{ toM: 0, seconds: 30 }]); // waits at S1 until 08:00
    expect(engine.tripState('V1')).toMatchObject({ tripId: 'T0-480', directionId: 0, startDate: '20261127', startTime: '08:00:00', delayS: 0, manual: false });
    drive(engine, clock, 'V1', 0, stopToStop(0, 2, 120, 0)); // on time to S3 at 08:04
    const s = engine.tripState('V1')!;
    expect(s.tripId).toBe('T0-480');
    expect(s.progressM).toBeCloseTo(1000, -1);
    expect(Math.abs(s.delayS!)).toBeLessThanOrEqual(10);
    expect(s.offRoute).toBe(false);
  });

  it('keeps a late vehicle on its trip rather than taking it for the next one on time (hysteresis)', () => {
    const { clock, engine } = setup();
    drive(engine, clock, 'V1', 0, [{ toM: 0, seconds: 30 }]);
    // Twice as slow as the timetable: eight minutes late at S5, where the 08:10 trip would be nearly on time.
    drive(engine, clock, 'V1', 0, stopToStop(0, 3, 240, 0));
    const s = engine.tripState('V1')!;
    expect(s.tripId).toBe('T0-480');
    expect(s.delayS).toBeGreaterThan(300);
  });

  it('finds the direction from the movement: a vehicle heading west mid-route runs an inbound trip', () => {
    const { clock, engine } = setup(lineFeed(), kyivMs(8, 3, 0));
    drive(engine, clock, 'V2', 1600, [{ toM: 1450, seconds: 60 }]);
    expect(engine.tripState('V2')).toMatchObject({ tripId: 'T1-480', directionId: 1 });
  });

  it('only considers the route of the device when the registry names one', () => {
    const { clock, engine } = setup();
    drive(engine, clock, 'V3', 0, [{ toM: 500, seconds: 150 }], { routeId: 'R9' });
    expect(engine.tripState('V3')!.tripId).toBeNull();
    drive(engine, clock, 'V4', 0, [{ toM: 500, seconds: 150 }], { routeId: null });
    expect(engine.tripState('V4')!.tripId).toBe('T0-480');
  });

  it('moves to the next trip of the block after the last stop', () => {
    const { clock, engine } = setup();
    drive(engine, clock, 'V1', 0, [{ toM: 0, seconds: 30 }, ...stopToStop(0, 4, 120, 0)]);
    // At S5 at 08:08: the trip is over; the inbound 08:10 trip leaves from here.
    drive(engine, clock, 'V1', 2000, [{ toM: 2000, seconds: 110 }, { toM: 1700, seconds: 60 }]);
    expect(engine.tripState('V1')).toMatchObject({ tripId: 'T1-490', directionId: 1 });
  });

  it('does not let a vehicle that arrived at the terminus and went silent keep the next departure', () => {
    const { clock, engine } = setup(lineFeed(), kyivMs(8, 3, 0));
    // C runs the 08:00 outbound, as a dispatcher said.
    drive(engine, clock, 'C', 600, [{ toM: 650, seconds: 10 }]);
    engine.assign('C', 'T0-480');
    // A comes in on the inbound 08:00, reaches S1 at 08:08:30 and says no more: it takes the
    // outbound 08:10 (the block's next trip).
    clock.ms = kyivMs(8, 8, 10);
    engine.assign('A', 'T1-480');
    drive(engine, clock, 'A', 200, [{ toM: 0, seconds: 10 }, { toM: 0, seconds: 10 }]);
    expect(engine.tripState('A')!.tripId).toBe('T0-490');
    // B turns up for the 08:10 and, the 08:10 seeming taken, first settles for another …
    clock.ms = kyivMs(8, 9, 0);
    drive(engine, clock, 'B', 0, [{ toM: 0, seconds: 60 }]);
    expect(engine.tripState('B')!.tripId).not.toBe('T0-490');
    // … but runs the 08:10's timetable, far from the other's, and A is silent by now.
    drive(engine, clock, 'B', 0, stopToStop(0, 3, 120, 0));
    expect(engine.tripState('B')).toMatchObject({ tripId: 'T0-490', manual: false });
    expect(Math.abs(engine.tripState('B')!.delayS!)).toBeLessThan(60);
  });

  it('takes a dispatcher\'s assignment over its own, and goes back to its own when it is deleted', () => {
    const { clock, engine } = setup();
    drive(engine, clock, 'V1', 0, [{ toM: 0, seconds: 30 }, ...stopToStop(0, 1, 120, 0)]);
    expect(engine.tripState('V1')!.tripId).toBe('T0-480');
    expect(engine.assign('V1', 'T0-490')).toMatchObject({ tripId: 'T0-490', manual: true });
    drive(engine, clock, 'V1', 500, [{ toM: 700, seconds: 40 }]);
    expect(engine.tripState('V1')).toMatchObject({ tripId: 'T0-490', manual: true });
    expect(() => engine.assign('V1', 'NOPE')).toThrow(/trip NOPE is not in the feed/);
    expect(engine.unassign('V1')).toBe(true);
    drive(engine, clock, 'V1', 700, [{ toM: 900, seconds: 40 }]);
    expect(engine.tripState('V1')).toMatchObject({ tripId: 'T0-480', manual: false });
  });
});

describe('off route and stale', () => {
  it('flags a vehicle more than 100 m off its shape for more than 60 s', () => {
    const { clock, engine } = setup();
    drive(engine, clock, 'V1', 0, [{ toM: 0, seconds: 30 }, { toM: 400, seconds: 100 }]);
    drive(engine, clock, 'V1', 400, [{ toM: 500, seconds: 50 }], { northM: 150 });
    expect(engine.tripState('V1')).toMatchObject({ tripId: 'T0-480', offRoute: false });
    expect(engine.tripState('V1')!.offRouteM).toBeGreaterThan(100);
    drive(engine, clock, 'V1', 500, [{ toM: 550, seconds: 30 }], { northM: 150 });
    expect(engine.tripState('V1')!.offRoute).toBe(true);
    drive(engine, clock, 'V1', 550, [{ toM: 600, seconds: 10 }]);
    expect(engine.tripState('V1')!.offRoute).toBe(false);
  });

  it('calls a tracker stale after 150 s without a position, and boards fall back to the timetable', () => {
    const { clock, engine } = setup();
    drive(engine, clock, 'V1', 0, [{ toM: 0, seconds: 30 }, { toM: 200, seconds: 50 }]);
    const live = engine.arrivalsAt('S3').find((a) => a.tripId === 'T0-480')!;
    expect(live).toMatchObject({ realtime: true, vehicleId: 'V1' });
    clock.ms += TRACKER_STALE_MS;
    expect(engine.tripState('V1')!.stale).toBe(false);
    clock.ms += 1;
    expect(engine.tripState('V1')!.stale).toBe(true);
    expect(engine.arrivalsAt('S3').find((a) => a.tripId === 'T0-480')).toMatchObject({ realtime: false, vehicleId: null, arrivalMs: kyivMs(8, 4) });
  });
});

describe('arrival predictions', () => {
  it('predicts every stop ahead from the timetable while nothing is learned, shifted by the delay', () => {
    const { clock, engine } = setup();
    // Leaves S1 a minute late, then keeps the timetable's pace.
    drive(engine, clock, 'V1', 0, [{ toM: 0, seconds: 90 }, { toM: 250, seconds: 60 }]);
    const p = engine.predictionsOf('V1');
    expect(p.map((x) => x.stopId)).toEqual(['S2', 'S3', 'S4', 'S5']);
    expect(p[0]!.arrivalMs).toBe(kyivMs(8, 3)); // half the segment left: 60 s
    expect(p[3]!.arrivalMs).toBe(kyivMs(8, 9));
    for (let i = 1; i < p.length; i++) expect(p[i]!.arrivalMs).toBeGreaterThan(p[i - 1]!.departureMs);
  });

  it('learns running and dwell times per segment and hour from passages, and predicts with them', () => {
    const feed = lineFeed();
    const clock = new Clock(kyivMs(7, 59, 30));
    const travel = new TravelTimes();
    const engine = new RealtimeEngine(() => feed, clock.now, KYIV, travel);
    // Three vehicles before: 200 s between stops (timetable: 120 s), 30 s at each stop.
    for (const [v, startMin] of [['A', 0], ['B', 10], ['C', 20]] as const) {
      clock.ms = kyivMs(7, 59 + startMin, 30);
      drive(engine, clock, v, 0, [{ toM: 0, seconds: 30 }, ...stopToStop(0, 4, 200, 30)]);
    }
    expect(travel.mean('run', 'S2>S3', 8)).toBeCloseTo(200 - 40 / 500 * 200, -1);
    expect(travel.mean('dwell', 'S3', 8)).toBeGreaterThan(30);
    clock.ms = kyivMs(8, 29, 30);
    drive(engine, clock, 'D', 0, [{ toM: 0, seconds: 30 }, { toM: 500, seconds: 200 }, { toM: 500, seconds: 10 }]);
    const p = engine.predictionsOf('D');
    // From S2 (reached 08:33:20) three more segments of ~200 s with ~30 s dwells: S5 near 08:44:40.
    const s5 = p.find((x) => x.stopId === 'S5')!;
    expect(Math.abs(s5.arrivalMs - kyivMs(8, 44, 40))).toBeLessThan(30_000);
    expect(s5.scheduledArrivalMs).toBe(kyivMs(8, 38));
  });
});

describe('headways', () => {
  it('rates the gap to the vehicle ahead against the timetable\'s (Skate: ≤ 0.5 bunched, ≤ 0.33 very bunched)', () => {
    const { clock, engine } = setup(lineFeed(), kyivMs(7, 59, 30));
    drive(engine, clock, 'A', 0, [{ toM: 0, seconds: 30 }, ...stopToStop(0, 2, 120, 0)]);
    // B runs the 08:10 trip but leaves at 08:05:30, catching up: 2.5 minutes behind A at S3 instead of 10.
    clock.ms = kyivMs(8, 5, 0);
    engine.assign('B', 'T0-490');
    drive(engine, clock, 'B', 0, [{ toM: 0, seconds: 30 }, ...stopToStop(0, 2, 30, 0)]);
    const h = engine.tripState('B')!.headway!;
    expect(h.leaderVehicleId).toBe('A');
    expect(h.scheduledS).toBe(600);
    expect(h.rating).toBe('very-bunched');
    expect(at(0).lat).toBeGreaterThan(0);
  });
});

describe('stop boards', () => {
  it('lists realtime and scheduled arrivals at a stop, soonest first, without trips that end there', () => {
    const { clock, engine } = setup();
    drive(engine, clock, 'V1', 0, [{ toM: 0, seconds: 30 }, { toM: 400, seconds: 100 }]);
    const board = engine.arrivalsAt('S3', clock.ms, { limit: 5 });
    // At 08:01:40: the outbound 08:00 (live, 100 m before S2: 24 s + 120 s to S3), the inbound 08:00 at 08:04 by the timetable, then every 10 minutes.
    expect(board.map((a) => [a.tripId, a.realtime])).toEqual([['T1-480', false], ['T0-480', true], ['T0-490', false], ['T1-490', false], ['T0-500', false]]);
    expect(board[1]).toMatchObject({ vehicleId: 'V1', headsign: 'Stop 5', routeShortName: '1', arrivalMs: kyivMs(8, 4, 4) });
    expect(engine.arrivalsAt('S5', clock.ms).every((a) => a.tripId.startsWith('T1-'))).toBe(true);
  });
});
