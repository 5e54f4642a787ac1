import { describe, expect, it } from 'vitest';
import { ChangeFeed } from '../../services/live/change-feed.ts';

describe('ChangeFeed', () => {
  it('takes the changes once per tick and gives each reader every change once, the latest per key', () => {
    let pending: Array<{ id: string; n: number }> = [];
    const sweeps: boolean[] = [];
    const feed = new ChangeFeed((sweep) => {
      sweeps.push(sweep);
      const out = pending;
      pending = [];
      return out;
    }, (x) => x.id);
    const a = feed.reader();
    const b = feed.reader();
    pending = [{ id: 'v1', n: 1 }, { id: 'v2', n: 1 }];
    expect(a(false)).toEqual([{ id: 'v1', n: 1 }, { id: 'v2', n: 1 }]);
    expect(b(false)).toEqual([{ id: 'v1', n: 1 }, { id: 'v2', n: 1 }]);
    expect(sweeps).toEqual([false]);
    // Next tick: taken once again (with that tick's sweep).
    pending = [{ id: 'v1', n: 2 }];
    expect(a(true)).toEqual([{ id: 'v1', n: 2 }]);
    expect(b(true)).toEqual([{ id: 'v1', n: 2 }]);
    expect(sweeps).toEqual([false, true]);
    // A reader that was not asked for two ticks gets the latest of each key once.
    pending = [{ id: 'v1', n: 3 }];
    expect(a(false)).toEqual([{ id: 'v1', n: 3 }]);
    pending = [{ id: 'v1', n: 4 }, { id: 'v3', n: 1 }];
    expect(a(false)).toEqual([{ id: 'v1', n: 4 }, { id: 'v3', n: 1 }]);
    expect(b(false)).toEqual([{ id: 'v1', n: 4 }, { id: 'v3', n: 1 }]);
    expect(b(false)).toEqual([]);
  });
});
