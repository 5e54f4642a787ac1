import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, assessPressure, withSpoolLimit } from '../../services/ingest/backpressure.ts';

const MIB = 1024 * 1024;

describe('backpressure on the spool byte limit', () => {
  const limits = withSpoolLimit(DEFAULT_LIMITS, 100 * MIB);

  it('slows intake past 80 % of the spool limit, more the closer the backlog gets, and says why', () => {
    expect(limits.maxBacklogBytes).toBe(80 * MIB);
    expect(assessPressure({ backlogRecords: 0, backlogBytes: 79 * MIB, lagMs: 0, inFlight: 0 }, limits).throttled).toBe(false);
    const at80 = assessPressure({ backlogRecords: 0, backlogBytes: 80 * MIB, lagMs: 0, inFlight: 0 }, limits);
    const at99 = assessPressure({ backlogRecords: 0, backlogBytes: 99 * MIB, lagMs: 0, inFlight: 0 }, limits);
    expect(at80).toMatchObject({ throttled: true, reason: expect.stringMatching(/^spool backlog 80 MiB is over 80 MiB \(80 % of the spool's limit\).*refused/) });
    expect(at99.delayMs).toBeGreaterThan(at80.delayMs);
  });

  it('leaves limits without a spool bound as they were', () => {
    expect(DEFAULT_LIMITS.maxBacklogBytes).toBeUndefined();
    expect(assessPressure({ backlogRecords: 0, backlogBytes: 1e15, lagMs: 0, inFlight: 0 }, DEFAULT_LIMITS).throttled).toBe(false);
    expect(withSpoolLimit(DEFAULT_LIMITS, 10 * MIB)).toEqual({ ...DEFAULT_LIMITS, maxBacklogBytes: 8 * MIB });
  });
});
