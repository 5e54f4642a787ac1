import { describe, expect, it } from 'vitest';
import { AuthThrottle, DEFAULT_THROTTLE, DEVICE_THROTTLE, attemptAfterHold } from '../../services/broker/auth-throttle.ts';

const opts = { ...DEFAULT_THROTTLE, freeFailures: 3, baseDelayMs: 250, maxDelayMs: 2000, forgetAfterMs: 60_000 };

describe('AuthThrottle', () => {
  it('lets the first failures pass, then holds the address back twice as long each time, up to a cap', () => {
    let now = 0;
    const t = new AuthThrottle(() => now, opts);
    // Eight failed attempts, each made as soon as it is let through: how long each had to wait.
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      let waited = 0;
      for (let a = t.attempt('10.0.0.1'); !a.ok; a = t.attempt('10.0.0.1')) {
        waited += a.retryAfterMs;
        now += a.retryAfterMs;
      }
      waits.push(waited);
    }
    expect(waits).toEqual([0, 0, 0, 250, 500, 1000, 2000, 2000]);
    expect(t.attempt('10.0.0.2').ok).toBe(true); // another address is not held back
  });

  it('counts an attempt before it is checked: parallel attempts cannot all pass', () => {
    const t = new AuthThrottle(() => 0, opts);
    // Sixteen attempts at once, none answered yet.
    const results = Array.from({ length: 16 }, () => t.attempt('10.0.0.1', 'alice'));
    expect(results.filter((r) => r.ok)).toHaveLength(opts.freeFailures);
    expect(results.slice(opts.freeFailures).every((r) => !r.ok && r.retryAfterMs === 250)).toBe(true);
  });

  it('holds an account back whatever address the attempts come from', () => {
    const t = new AuthThrottle(() => 0, opts);
    const results = Array.from({ length: 16 }, (_, i) => t.attempt(`10.0.0.${i}`, 'alice'));
    expect(results.filter((r) => r.ok)).toHaveLength(opts.freeFailures);
    expect(t.attempt('10.0.0.99', 'bob').ok).toBe(true);
  });

  it('a success starts the account afresh and gives back its own count only; an abandoned attempt is given back', () => {
    const t = new AuthThrottle(() => 0, { ...opts, freeFailures: 2 });
    t.attempt('a', 'alice'); // a failure, never given back
    const ok = t.attempt('a', 'alice');
    if (!ok.ok) throw new Error('expected to pass');
    ok.succeeded();
    ok.succeeded(); // twice changes nothing
    // alice starts afresh; the address still has its one failure: one free attempt left.
    const abandoned = t.attempt('a', 'carol');
    if (!abandoned.ok) throw new Error('expected to pass');
    abandoned.abandoned();
    expect(t.attempt('a', 'dave').ok).toBe(true);
    expect(t.attempt('a', 'erin').ok).toBe(false);
  });

  it('a success does not start a hold for the address\'s old failures', () => {
    let now = 0;
    const t = new AuthThrottle(() => now, opts);
    for (let i = 0; i < 3; i++) t.attempt('nat', `guess-${i}`); // three failures at t=0
    now = 10_000; // long after their hold
    for (let i = 0; i < 3; i++) {
      const a = t.attempt('nat', 'device-1');
      if (!a.ok) throw new Error(`reconnect ${i} held back`);
      a.succeeded();
      now += 10; // reconnects in quick succession
    }
  });

  it('attemptAfterHold: a held attempt waits its hold out once, then is checked or refused', async () => {
    let now = 0;
    const t = new AuthThrottle(() => now, opts);
    // Every waiter sleeps from the moment it was held: the clock ends at the latest wake-up.
    const wait = (ms: number) => {
      const until = now + ms;
      return Promise.resolve().then(() => {
        now = Math.max(now, until);
      });
    };
    for (let i = 0; i < 3; i++) t.attempt('a');
    // Held 250 ms, waited out, then let through (and counted).
    expect((await attemptAfterHold(t, 'a', undefined, wait)).ok).toBe(true);
    expect(now).toBe(250);
    // A burst: each waits the 500 ms hold; the first to ask again passes, the others are refused.
    const burst = await Promise.all(Array.from({ length: 5 }, () => attemptAfterHold(t, 'a', undefined, wait)));
    expect(burst.filter((r) => r.ok)).toHaveLength(1);
  });

  it('attemptAfterHold: a timer that wakes early by the throttle\'s clock still waits the hold out, and the right login passes', async () => {
    let now = 0;
    const t = new AuthThrottle(() => now, DEVICE_THROTTLE);
    // Three wrong secrets from one address: the fourth attempt from there is held 250 ms.
    for (const acct of ['x', 'y', 'z']) {
      const a = t.attempt('127.0.0.1', acct);
      if (a.ok) a.failed();
    }
    now += 7;
    // Node's timers run on the event loop's clock, read once per turn: by Date.now they often
    // wake a millisecond or more early.
    const waits: number[] = [];
    const earlyTimer = (ms: number) => {
      waits.push(ms);
      now += ms > 2 ? ms - 2 : ms;
      return Promise.resolve();
    };
    const attempt = await attemptAfterHold(t, '127.0.0.1', 'trk-b', earlyTimer);
    expect(attempt.ok).toBe(true);
    expect(now).toBeGreaterThanOrEqual(250);
    expect(waits[0]).toBe(243);
    // A clock that never moves cannot keep it waiting for ever: a few short waits, then refused.
    const frozen = new AuthThrottle(() => 0, { ...DEFAULT_THROTTLE, freeFailures: 0 });
    frozen.attempt('a');
    const stuck: number[] = [];
    expect((await attemptAfterHold(frozen, 'a', undefined, async (ms) => void stuck.push(ms))).ok).toBe(false);
    expect(stuck).toHaveLength(6);
  });

  it('forgets a key after a quiet while', () => {
    let now = 0;
    const t = new AuthThrottle(() => now, { ...opts, freeFailures: 0 });
    t.attempt('b');
    expect(t.attempt('b').ok).toBe(false);
    now = 61_000;
    expect(t.attempt('b').ok).toBe(true);
  });

  it('devices: a fleet behind one NAT address logs in at once, while its parallel guesses at one device are still held back', () => {
    const t = new AuthThrottle(() => 0, { ...DEVICE_THROTTLE, freeFailures: 3 });
    // 500 trackers reconnecting through one carrier address after an outage, none answered yet.
    const fleet = Array.from({ length: 500 }, (_, i) => t.attempt('100.64.0.1', `trk-${i}`));
    expect(fleet.every((a) => a.ok)).toBe(true);
    fleet.forEach((a) => a.ok && a.succeeded());
    // Sixteen parallel guesses at one device: the free three are checked, the rest held back.
    const guesses = Array.from({ length: 16 }, () => t.attempt('100.64.0.1', 'trk-7'));
    expect(guesses.filter((a) => a.ok)).toHaveLength(3);
    // Wrong secrets charge the address once they fail: guessing at many devices is held back too.
    guesses.forEach((a) => a.ok && a.failed());
    for (const i of [1, 2, 3]) {
      const a = t.attempt('100.64.0.1', `other-${i}`);
      if (a.ok) a.failed();
    }
    expect(t.attempt('100.64.0.1', 'trk-new').ok).toBe(false);
  });

  it('refuses past the pending attempts an address may have', () => {
    const t = new AuthThrottle(() => 0, { ...DEVICE_THROTTLE, maxPendingPerAddress: 4 });
    const first = Array.from({ length: 4 }, (_, i) => t.attempt('10.1.1.1', `d-${i}`));
    expect(first.every((a) => a.ok)).toBe(true);
    expect(t.attempt('10.1.1.1', 'd-9').ok).toBe(false);
    if (first[0]!.ok) first[0]!.succeeded();
    expect(t.attempt('10.1.1.1', 'd-9').ok).toBe(true);
  });
});
