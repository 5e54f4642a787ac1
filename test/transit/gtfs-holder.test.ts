import { describe, expect, it } from 'vitest';
import { GtfsHolder } from '../../services/transit/gtfs/holder.ts';
import { emptyFeed } from '../../services/transit/gtfs/load.ts';

describe('GtfsHolder', () => {
  it('swaps the feed, counts versions, tells listeners until they unsubscribe, and survives a failing one', () => {
    let now = 1_000;
    const holder = new GtfsHolder(undefined, 'none', () => now);
    expect(holder.info).toEqual({ source: 'none', loadedMs: 1_000, routes: 0, stops: 0, trips: 0 });
    const next = emptyFeed();
    next.routes.set('R', { routeId: 'R', shortName: 'R', longName: '', type: 3 });
    const heard: string[] = [];
    const off = holder.onChange((feed, info) => heard.push(`${feed.routes.size}@${info.source}`));
    holder.onChange(() => {
      throw new Error('boom');
    });
    now = 2_000;
    const errors = holder.replace(next, '/feeds/a.zip');
    expect(errors.map((e) => (e as Error).message)).toEqual(['boom']);
    expect(holder.feed).toBe(next);
    expect(holder.version).toBe(1);
    expect(holder.info).toEqual({ source: '/feeds/a.zip', loadedMs: 2_000, routes: 1, stops: 0, trips: 0 });
    off();
    holder.replace(emptyFeed());
    expect(heard).toEqual(['1@/feeds/a.zip']);
    expect(holder.version).toBe(2);
  });
});
