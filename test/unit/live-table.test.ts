import { describe, expect, it } from 'vitest';
import { LiveTable } from '../../services/live/live-table.ts';

describe('LiveTable', () => {
  it('only moves forward in device time', () => {
    const t = new LiveTable<{ v: number }>(() => 0, 1000);
    expect(t.offer('a', 100, 0, { v: 1 })).toBe(true);
    expect(t.offer('a', 50, 0, { v: 2 })).toBe(false); // an older, buffered record
    expect(t.offer('a', 100, 0, { v: 3 })).toBe(false); // an exact duplicate
    expect(t.list()).toEqual([{ v: 1, stale: false }]);
  });

  it('pushes each changed row once per take, however often it changed', () => {
    const t = new LiveTable<{ v: number }>(() => 0, 1000);
    for (let i = 1; i <= 50; i++) t.offer('a', i, 0, { v: i });
    t.offer('b', 1, 0, { v: 0 });
    expect(t.takeChanges()).toEqual([{ v: 50, stale: false }, { v: 0, stale: false }]);
    expect(t.takeChanges()).toEqual([]);
  });

  it('pushes a row again when it goes stale', () => {
    let now = 0;
    const t = new LiveTable<{ v: number }>(() => now, 1000);
    t.offer('a', 1, 0, { v: 1 });
    t.takeChanges();
    now = 5000;
    expect(t.takeChanges()).toEqual([{ v: 1, stale: true }]);
    expect(t.takeChanges()).toEqual([]);
  });
});
