/** Operations alerts: the pure detection and reconciliation, and the registry-kept lifecycle (raise, ack, clear). */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS, detectConditions, reconcile, type UnservedTrip } from '../../../services/transit/ops/detect.ts';
import { OpsAlerts } from '../../../services/transit/ops/ops-alerts.ts';
import type { VehicleTripState } from '../../../services/transit/realtime/engine.ts';
import { rateHeadway } from '../../../services/transit/realtime/headway.ts';
import { openDb } from '../realtime/app.ts';
import { sqliteRegistry } from '../../../services/registry/sqlite-registry.ts';

const T0 = Date.parse('2026-11-27T10:00:00Z');

function state(over: Partial<VehicleTripState> = {}): VehicleTripState {
  return {
    vehicleId: 'BUS-1', tripId: 'T1', routeId: 'R1', directionId: 0, startDate: '20261127', startTime: '11:50:00', manual: false,
    delayS: 0, progressM: 500, offRouteM: 5, offRoute: false, stale: false, headway: null, lastPositionMs: T0 - 5_000, ...over,
  };
}
const headway = (ratio: number, atMs = T0 - 60_000) => ({ actualS: 600 * ratio, scheduledS: 600, ratio, rating: rateHeadway(ratio), leaderVehicleId: 'BUS-0', stopId: 'S3', atMs });

describe('detectConditions', () => {
  it('raises nothing for a vehicle on time, on its route, with a good headway', () => {
    expect(detectConditions([state({ headway: headway(1) })], [], T0)).toEqual([]);
  });

  it('raises late beyond 5 min and early beyond 2 min, not at the thresholds', () => {
    const kinds = (delayS: number) => detectConditions([state({ delayS })], [], T0).map((c) => c.kind);
    expect(kinds(300)).toEqual([]);
    expect(kinds(301)).toEqual(['late']);
    expect(kinds(-120)).toEqual([]);
    expect(kinds(-121)).toEqual(['early']);
    expect(detectConditions([state({ delayS: 420 })], [], T0)[0]).toMatchObject({ key: 'late:BUS-1', vehicleId: 'BUS-1', tripId: 'T1', routeId: 'R1', value: 420, message: '7 min late' });
  });

  it('raises off-route (the engine\'s >100 m for >60 s) instead of a delay that means nothing off the route', () => {
    const c = detectConditions([state({ offRoute: true, offRouteM: 240, delayS: 900 })], [], T0);
    expect(c.map((x) => [x.kind, x.value])).toEqual([['off-route', 240]]);
  });

  it('raises a stale tracker after 150 s of silence, and nothing else about it', () => {
    expect(detectConditions([state({ lastPositionMs: T0 - 150_000, delayS: 900 })], [], T0).map((c) => c.kind)).toEqual(['late']);
    const c = detectConditions([state({ lastPositionMs: T0 - 151_000, delayS: 900, offRoute: true })], [], T0);
    expect(c.map((x) => [x.kind, x.value])).toEqual([['stale-tracker', 151]]);
  });

  it('raises bunching and gaps from recent headway ratings only', () => {
    expect(detectConditions([state({ headway: headway(0.4) })], [], T0).map((c) => c.kind)).toEqual(['bunching']);
    expect(detectConditions([state({ headway: headway(0.2) })], [], T0).map((c) => c.kind)).toEqual(['bunching']);
    expect(detectConditions([state({ headway: headway(1.6) })], [], T0).map((c) => c.kind)).toEqual(['gap']);
    expect(detectConditions([state({ headway: headway(1.6, T0 - DEFAULT_THRESHOLDS.headwayMaxAgeMs - 1) })], [], T0)).toEqual([]);
  });

  it('ignores vehicles running no trip', () => {
    expect(detectConditions([state({ tripId: null, delayS: null, lastPositionMs: T0 - 900_000 })], [], T0)).toEqual([]);
  });

  it('raises a trip with no vehicle 3 min after it was due, until it should have ended', () => {
    const u: UnservedTrip = { tripId: 'T9', routeId: 'R1', startMs: T0 - 180_000, endMs: T0 + 600_000 };
    expect(detectConditions([], [u], T0)).toEqual([]);
    expect(detectConditions([], [u], T0 + 1_000)).toEqual([
      { key: `no-vehicle:T9@${u.startMs}`, kind: 'no-vehicle', vehicleId: null, tripId: 'T9', routeId: 'R1', value: 3, message: 'no vehicle on trip T9, due 3 min ago' },
    ]);
    expect(detectConditions([], [u], T0 + 600_001)).toEqual([]);
  });
});

describe('reconcile', () => {
  const c = (key: string) => detectConditions([state({ vehicleId: key, delayS: 600 })], [], T0)[0]!;
  it('raises the new, keeps the going, clears what has not been seen for 30 s', () => {
    const open = new Map([['late:A', T0 - 5_000], ['late:B', T0 - 10_000], ['late:C', T0 - 30_000]]);
    const r = reconcile(open, [c('A'), c('D')], T0);
    expect(r.raise.map((x) => x.key)).toEqual(['late:D']);
    expect(r.keep.map((x) => x.key)).toEqual(['late:A']);
    expect(r.clear).toEqual(['late:C']);
  });
});

describe('OpsAlerts in the registry', () => {
  let remove = () => {};
  afterEach(() => remove());

  it('raises an alert once, lets a dispatcher acknowledge it, clears it when the cause ends, and keeps the history', async () => {
    const d = openDb();
    remove = d.remove;
    let states = [state({ delayS: 600 })];
    const ops = new OpsAlerts(sqliteRegistry(d.db), { states: () => states, unserved: () => [] });
    await ops.evaluate(T0);
    await ops.evaluate(T0 + 5_000);
    const [raised] = await ops.list('active');
    expect(await ops.list('all')).toHaveLength(1);
    expect(raised).toMatchObject({ kind: 'late', state: 'open', vehicleId: 'BUS-1', raisedAt: new Date(T0).toISOString(), lastSeenAt: new Date(T0 + 5_000).toISOString() });
    expect(ops.takeChanges().map((a) => [a.id, a.state])).toEqual([[raised!.id, 'open']]);

    const acked = await ops.ack(raised!.id, 'user:olena', T0 + 6_000);
    expect(acked).toMatchObject({ state: 'acknowledged', acknowledgedBy: 'user:olena', acknowledgedAt: new Date(T0 + 6_000).toISOString() });
    expect((await ops.ack(raised!.id, 'user:petro', T0 + 7_000)).acknowledgedBy).toBe('user:olena');
    expect(await ops.list('open')).toEqual([]);
    expect((await ops.list('acknowledged')).map((a) => a.id)).toEqual([raised!.id]);

    states = [state({ delayS: 30 })];
    await ops.evaluate(T0 + 20_000);
    expect(await ops.list('active')).toHaveLength(1);
    await ops.evaluate(T0 + 35_000);
    expect(await ops.list('active')).toEqual([]);
    const [cleared] = await ops.list('cleared');
    expect(cleared).toMatchObject({ id: raised!.id, state: 'cleared', clearedAt: new Date(T0 + 35_000).toISOString(), acknowledgedBy: 'user:olena' });
    expect(ops.takeChanges().map((a) => a.state)).toEqual(['cleared']);
    await expect(ops.ack(raised!.id, 'user:olena', T0 + 40_000)).rejects.toThrow(/was cleared/);
    await expect(ops.ack(999, 'user:olena', T0 + 40_000)).rejects.toThrow(/no operations alert 999/);

    // The cause again: a new alert, the old one stays in the history.
    states = [state({ delayS: 700 })];
    await ops.evaluate(T0 + 60_000);
    expect((await ops.list('all')).map((a) => a.state)).toEqual(['open', 'cleared']);
  });
});
