import { describe, expect, it } from 'vitest';
import { assessPressure, type BackpressureLimits } from '../../services/ingest/backpressure.ts';

const limits: BackpressureLimits = { maxBacklogRecords: 1000, maxLagMs: 100, maxDelayMs: 500 };

describe('assessPressure', () => {
  it('does nothing below the limits', () => {
    expect(assessPressure({ backlogRecords: 999, lagMs: 99 }, limits)).toMatchObject({ throttled: false, delayMs: 0 });
  });

  it('throttles on a spool backlog and says why', () => {
    const s = assessPressure({ backlogRecords: 2000, lagMs: 10 }, limits);
    expect(s.throttled).toBe(true);
    expect(s.reason).toMatch(/spool backlog 2000 records.*not keeping up/);
    expect(s.delayMs).toBe(80);
  });

  it('throttles on event-loop lag and says why', () => {
    const s = assessPressure({ backlogRecords: 0, lagMs: 300 }, limits);
    expect(s.reason).toMatch(/event-loop lag 300 ms/);
    expect(s.delayMs).toBe(180);
  });

  it('delays more the worse the overload, up to the cap', () => {
    const delays = [1, 2, 4, 100].map((x) => assessPressure({ backlogRecords: 1000 * x, lagMs: 0 }, limits).delayMs);
    expect(delays).toEqual([20, 80, 320, 500]);
  });
});
