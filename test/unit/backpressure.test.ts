import { describe, expect, it } from 'vitest';
import { Backpressure, assessPressure, type BackpressureLimits } from '../../services/ingest/backpressure.ts';

const limits: BackpressureLimits = { maxBacklogRecords: 1000, maxLagMs: 100, maxInFlight: 50, maxDelayMs: 500, holdMs: 3000 };
const load = (l: Partial<{ backlogRecords: number; lagMs: number; inFlight: number }>) => ({ backlogRecords: 0, lagMs: 0, inFlight: 0, ...l });

describe('assessPressure', () => {
  it('does nothing below the limits', () => {
    expect(assessPressure(load({ backlogRecords: 999, lagMs: 99, inFlight: 49 }), limits)).toMatchObject({ throttled: false, delayMs: 0 });
  });

  it('throttles on a spool backlog and says why', () => {
    const s = assessPressure(load({ backlogRecords: 2000, lagMs: 10 }), limits);
    expect(s.throttled).toBe(true);
    expect(s.reason).toMatch(/spool backlog 2000 records.*not keeping up/);
    expect(s.delayMs).toBe(80);
  });

  it('throttles on event-loop lag and on messages in flight, naming the worst', () => {
    expect(assessPressure(load({ lagMs: 300 }), limits)).toMatchObject({ delayMs: 180, reason: expect.stringMatching(/event-loop lag 300 ms/) });
    expect(assessPressure(load({ lagMs: 150, inFlight: 200 }), limits).reason).toMatch(/200 messages taken in and not yet acknowledged/);
  });

  it('delays more the worse the overload, up to the cap', () => {
    const delays = [1, 2, 4, 100].map((x) => assessPressure(load({ backlogRecords: 1000 * x }), limits).delayMs);
    expect(delays).toEqual([20, 80, 320, 500]);
  });
});

describe('Backpressure', () => {
  it('delays a flood at once, before the next assessment', async () => {
    const bp = new Backpressure(() => 0, limits);
    const gates = Array.from({ length: 60 }, () => bp.admit());
    expect(gates.slice(0, 50).every((g) => g === undefined)).toBe(true);
    expect(gates.slice(50).every((g) => g instanceof Promise)).toBe(true);
    await Promise.all(gates);
    for (let i = 0; i < 60; i++) bp.done();
    expect(bp.admit()).toBeUndefined();
  });

  it('stays marked as slowed for the hold time after an overload, without delaying admissions', () => {
    let now = 0;
    const changes: boolean[] = [];
    const bp = new Backpressure(() => now, limits, (s) => changes.push(s.throttled));
    bp.update({ backlogRecords: 5000, lagMs: 0 });
    now = 1000;
    const held = bp.update({ backlogRecords: 0, lagMs: 0 });
    expect(held).toMatchObject({ throttled: true, delayMs: 0, reason: expect.stringMatching(/spool backlog 5000/) });
    now = 3500;
    expect(bp.update({ backlogRecords: 0, lagMs: 0 }).throttled).toBe(false);
    expect(changes).toEqual([true, false]);
  });
});
