import { describe, expect, it } from 'vitest';
import { AuthThrottle } from '../../services/broker/auth-throttle.ts';

describe('AuthThrottle', () => {
  it('lets the first failures pass, then doubles the wait, up to a cap', () => {
    const t = new AuthThrottle(() => 0, { freeFailures: 3, baseDelayMs: 250, maxDelayMs: 2000, forgetAfterMs: 60_000 });
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      delays.push(t.delayFor('10.0.0.1'));
      t.failed('10.0.0.1');
    }
    expect(delays).toEqual([0, 0, 0, 250, 500, 1000, 2000, 2000]);
    expect(t.delayFor('10.0.0.2')).toBe(0); // another address is not slowed
  });

  it('forgets an address after a success or after a quiet while', () => {
    let now = 0;
    const t = new AuthThrottle(() => now, { freeFailures: 0, baseDelayMs: 100, maxDelayMs: 1000, forgetAfterMs: 60_000 });
    t.failed('a');
    t.failed('b');
    expect(t.delayFor('a')).toBe(200);
    t.succeeded('a');
    expect(t.delayFor('a')).toBe(0);
    now = 61_000;
    expect(t.delayFor('b')).toBe(0);
  });
});
