/**
 * The feed the hub runs on, swapped whole when an admin uploads a new one: readers take
 * `holder.feed` each time they need it and never see half of an old feed and half of a new one.
 */
import { emptyFeed } from './load.ts';
import type { GtfsFeed } from './model.ts';

export interface GtfsFeedInfo {
  /** where it came from: a path, `upload`, or `none` */
  source: string;
  /** when it was loaded, epoch ms */
  loadedMs: number;
  /** counts, for health and logs */
  routes: number;
  stops: number;
  trips: number;
}

export type GtfsListener = (feed: GtfsFeed, info: GtfsFeedInfo) => void;

export class GtfsHolder {
  private current: GtfsFeed;
  private currentInfo: GtfsFeedInfo;
  private readonly listeners = new Set<GtfsListener>();
  /** incremented on every replace: caches keyed on it know when to rebuild */
  version = 0;

  constructor(feed: GtfsFeed = emptyFeed(), source = 'none', now: () => number = Date.now) {
    this.now = now;
    this.current = feed;
    this.currentInfo = this.describe(feed, source);
  }

  private readonly now: () => number;

  get feed(): GtfsFeed {
    return this.current;
  }

  get info(): GtfsFeedInfo {
    return this.currentInfo;
  }

  /**
   * Swaps the feed in and tells every listener; a listener that throws does not stop the others
   * nor undo the swap: its error is returned, for the caller to log.
   */
  replace(feed: GtfsFeed, source = 'upload'): unknown[] {
    this.current = feed;
    this.currentInfo = this.describe(feed, source);
    this.version++;
    const errors: unknown[] = [];
    for (const l of this.listeners) {
      try {
        l(feed, this.currentInfo);
      } catch (err) {
        errors.push(err);
      }
    }
    return errors;
  }

  /** Called after each replace; returns a function that unsubscribes. */
  onChange(listener: GtfsListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private describe(feed: GtfsFeed, source: string): GtfsFeedInfo {
    return { source, loadedMs: this.now(), routes: feed.routes.size, stops: feed.stops.size, trips: feed.trips.size };
  }
}
