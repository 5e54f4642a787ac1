import { describe, expect, it } from 'vitest';
import { LiveTable } from '../../services/live/live-table.ts';

const T0 = Date.UTC(2026, 10, 26, 10, 0, 0);

describe('LiveTable', () => {
  it('only moves forward in device time', () => {
    const t = new LiveTable<{ v: number }>(() => T0, 1000);
    expect(t.offer('a', T0 - 100, T0, { v: 1 })).toBe(true);
    expect(t.offer('a', T0 - 200, T0, { v: 2 })).toBe(false); // an older, buffered record
    expect(t.offer('a', T0 - 100, T0, { v: 3 })).toBe(false); // an exact duplicate
    expect(t.list()).toEqual([{ v: 1, ts: new Date(T0 - 100).toISOString(), receivedAt: new Date(T0).toISOString(), stale: false }]);
  });

  it('sends a quiet object at once, a chatty one at most once per interval, always its latest state', () => {
    let now = T0;
    const t = new LiveTable<{ v: number }>(() => now, 60_000);
    t.offer('a', now, now, { v: 1 });
    expect(t.takeChanges(250).map((r) => r.v)).toEqual([1]);
    for (let i = 2; i <= 10; i++) {
      now += 20;
      t.offer('a', now, now, { v: i });
      if (i < 10) expect(t.takeChanges(250)).toEqual([]); // 180 ms since the last push: held back
    }
    now += 100;
    expect(t.takeChanges(250).map((r) => r.v)).toEqual([10]);
    expect(t.takeChanges(250)).toEqual([]);
  });

  it('sends a row again when it goes stale, on a sweep', () => {
    let now = T0;
    const t = new LiveTable<{ v: number }>(() => now, 1000);
    t.offer('a', now, now, { v: 1 });
    t.takeChanges(250);
    now += 5000;
    expect(t.takeChanges(250)).toEqual([]);
    expect(t.takeChanges(250, true)).toMatchObject([{ v: 1, stale: true }]);
    expect(t.takeChanges(250, true)).toEqual([]);
  });
});
