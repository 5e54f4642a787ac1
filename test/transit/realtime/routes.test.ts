import { afterEach, describe, expect, it } from 'vitest';
import { StopBoard, VehicleTrip } from '../../../services/contracts/index.ts';
import { RealtimeEngine } from '../../../services/transit/realtime/engine.ts';
import { kyivMs, lineFeed } from './feed-fixture.ts';
import { Clock, drive } from './drive.ts';
import { routeHarness, type RouteHarness } from './app.ts';

let h: RouteHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function setup() {
  const feed = lineFeed();
  const clock = new Clock(kyivMs(7, 59, 30));
  const engine = new RealtimeEngine(() => feed, clock.now, 'Europe/Kyiv');
  h = await routeHarness(engine, clock.now);
  return { clock, engine, h };
}

describe('stop arrivals', () => {
  it('answers the board soonest first with realtime and scheduled arrivals, to a dispatcher', async () => {
    const feed = lineFeed();
    const clock = new Clock(kyivMs(7, 59, 30));
    const engine = new RealtimeEngine(() => feed, clock.now, 'Europe/Kyiv');
    h = await routeHarness(engine, clock.now);
    drive(engine, clock, 'V1', 0, [{ toM: 0, seconds: 30 }, { toM: 400, seconds: 100 }]);
    const res = await h.app.inject({ url: '/api/v1/transit/stops/S2/arrivals', headers: { authorization: `Bearer ${await h.token('ops', ['dispatcher'])}` } });
    expect(res.statusCode).toBe(200);
    const board = StopBoard.parse(res.json());
    expect(board.stopId).toBe('S2');
    expect(board.generatedAt).toBe(new Date(clock.ms).toISOString());
    expect(board.arrivals[0]).toEqual({
      routeId: 'R1', routeShortName: '1', headsign: 'Stop 5', tripId: 'T0-480', vehicleId: 'V1', arrivalTime: new Date(kyivMs(8, 2, 4)).toISOString(), minutes: 0, realtime: true,
    });
    const times = board.arrivals.map((a) => Date.parse(a.arrivalTime));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(board.arrivals.slice(1).every((a) => !a.realtime && a.vehicleId === null)).toBe(true);
  });

  it('lets a display token read only the stops it is bound to', async () => {
    const { h } = await setup();
    const display = await h.token('board-s3', ['display']);
    const get = (stop: string, token = display) => h.app.inject({ url: `/api/v1/transit/stops/${stop}/arrivals`, headers: { authorization: `Bearer ${token}` } });
    expect((await get('S3')).statusCode).toBe(403);
    const admin = await h.token('root', ['admin']);
    const bind = await h.app.inject({ method: 'PUT', url: '/api/v1/transit/displays/token:board-s3/stops', headers: { authorization: `Bearer ${admin}` }, payload: { stopIds: ['S3'] } });
    expect(bind.json()).toEqual({ principal: 'token:board-s3', stopIds: ['S3'] });
    expect((await get('S3')).statusCode).toBe(200);
    const other = await get('S4');
    expect(other.statusCode).toBe(403);
    expect(other.json().message).toMatch(/only its own stops; S4/);
    // Binding is for admins; unknown stops are refused by name.
    expect((await h.app.inject({ method: 'PUT', url: '/api/v1/transit/displays/token:board-s3/stops', headers: { authorization: `Bearer ${display}` }, payload: { stopIds: ['S4'] } })).statusCode).toBe(403);
    const bad = await h.app.inject({ method: 'PUT', url: '/api/v1/transit/displays/token:board-s3/stops', headers: { authorization: `Bearer ${admin}` }, payload: { stopIds: ['S9'] } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().issues).toEqual([{ field: 'stopIds', reason: 'stop S9 is not in the feed' }]);
  });

  it('says which stop is unknown, and that a token is needed', async () => {
    const { h } = await setup();
    const res = await h.app.inject({ url: '/api/v1/transit/stops/NOPE/arrivals', headers: { authorization: `Bearer ${await h.token('ops', ['dispatcher'])}` } });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ statusCode: 404, error: 'Not Found', message: 'stop NOPE is not in the feed', issues: [{ field: 'stopId', reason: 'unknown stop' }] });
    expect((await h.app.inject({ url: '/api/v1/transit/stops/S1/arrivals' })).statusCode).toBe(401);
  });
});

describe('assignment', () => {
  it('assigns a vehicle to a trip for a dispatcher, shows it with its next stops, and deletes it', async () => {
    const { clock, engine, h } = await setup();
    drive(engine, clock, 'V1', 0, [{ toM: 0, seconds: 30 }, { toM: 300, seconds: 60 }]);
    const ops = { authorization: `Bearer ${await h.token('ops', ['dispatcher'])}` };
    const put = await h.app.inject({ method: 'PUT', url: '/api/v1/transit/vehicles/V1/assignment', headers: ops, payload: { tripId: 'T0-490' } });
    expect(put.statusCode).toBe(200);
    const trip = VehicleTrip.parse(put.json());
    expect(trip).toMatchObject({ vehicleId: 'V1', tripId: 'T0-490', manual: true, directionId: 0, startDate: '20261127', startTime: '08:10:00' });
    expect(trip.nextStops.map((s) => s.stopId)).toEqual(['S2', 'S3', 'S4', 'S5']);
    const got = await h.app.inject({ url: '/api/v1/transit/vehicles/V1/trip', headers: ops });
    expect(got.json()).toMatchObject({ tripId: 'T0-490', manual: true });
    const bad = await h.app.inject({ method: 'PUT', url: '/api/v1/transit/vehicles/V1/assignment', headers: ops, payload: { tripId: 'T-NONE' } });
    expect(bad.statusCode).toBe(404);
    expect(bad.json().issues).toEqual([{ field: 'tripId', reason: 'trip T-NONE is not in the feed' }]);
    const noBody = await h.app.inject({ method: 'PUT', url: '/api/v1/transit/vehicles/V1/assignment', headers: ops, payload: { trip: 'x' } });
    expect(noBody.statusCode).toBe(400);
    const display = { authorization: `Bearer ${await h.token('d', ['display'])}` };
    expect((await h.app.inject({ method: 'PUT', url: '/api/v1/transit/vehicles/V1/assignment', headers: display, payload: { tripId: 'T0-490' } })).statusCode).toBe(403);
    expect((await h.app.inject({ method: 'DELETE', url: '/api/v1/transit/vehicles/V1/assignment', headers: ops })).statusCode).toBe(204);
    expect((await h.app.inject({ method: 'DELETE', url: '/api/v1/transit/vehicles/V1/assignment', headers: ops })).statusCode).toBe(404);
    expect(engine.manualTrip('V1')).toBeUndefined();
  });

  it('lists headways per route and direction', async () => {
    const { clock, engine, h } = await setup();
    drive(engine, clock, 'A', 0, [{ toM: 0, seconds: 30 }, { toM: 1100, seconds: 260 }]);
    const res = await h.app.inject({ url: '/api/v1/transit/headways', headers: { authorization: `Bearer ${await h.token('ops', ['dispatcher'])}` } });
    expect(res.json()).toEqual([{ routeId: 'R1', directionId: 0, vehicles: [{ vehicleId: 'A', tripId: 'T0-480', progressM: 1100, delayS: expect.any(Number), headway: null }] }]);
  });
});
