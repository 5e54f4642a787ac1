import { toIsoUtc } from '../contracts/index.ts';

interface Row<S> {
  state: S;
  tsMs: number;
  receivedMs: number;
  /** when this row was last pushed, and whether it was stale then */
  pushedMs: number;
  pushedStale: boolean;
}

/** What every live row carries besides its domain fields; formatted only when read. */
export interface LiveStamp {
  ts: string;
  receivedAt: string;
  stale: boolean;
}

/**
 * Latest state per object. Only moves forward in the device's time, so buffered and
 * out-of-order records go to history without moving live state back. Tracks what changed
 * since the last push so that Socket.IO sends each object at most once per `minIntervalMs`
 * however often it reports, and at once when it has been quiet.
 */
export class LiveTable<S extends object> {
  private readonly rows = new Map<string, Row<S>>();
  private readonly changed = new Set<string>();

  constructor(private readonly now: () => number, private readonly staleAfterMs: number) {}

  /** Returns true when `state` is newer than what the table held and replaced it. */
  offer(key: string, tsMs: number, receivedMs: number, state: S): boolean {
    const current = this.rows.get(key);
    if (current && tsMs <= current.tsMs) return false;
    this.rows.set(key, { state, tsMs, receivedMs, pushedMs: current?.pushedMs ?? -Infinity, pushedStale: current?.pushedStale ?? false });
    this.changed.add(key);
    return true;
  }

  delete(key: string): void {
    this.rows.delete(key);
    this.changed.delete(key);
  }

  get size(): number {
    return this.rows.size;
  }

  list(filter?: (s: S) => boolean): (S & LiveStamp)[] {
    const now = this.now();
    const out: (S & LiveStamp)[] = [];
    for (const row of this.rows.values()) if (!filter || filter(row.state)) out.push(this.stamp(row, now));
    return out;
  }

  /**
   * Changed rows whose last push is at least `minIntervalMs` old; the others wait for a later
   * call. With `sweepStale`, also every row that went stale (or came back) since it was pushed.
   */
  takeChanges(minIntervalMs: number, sweepStale = false): (S & LiveStamp)[] {
    const now = this.now();
    const out: (S & LiveStamp)[] = [];
    const take = (key: string, row: Row<S>) => {
      const stamped = this.stamp(row, now);
      row.pushedMs = now;
      row.pushedStale = stamped.stale;
      this.changed.delete(key);
      out.push(stamped);
    };
    for (const key of this.changed) {
      const row = this.rows.get(key);
      if (row && now - row.pushedMs >= minIntervalMs) take(key, row);
    }
    if (sweepStale) {
      for (const [key, row] of this.rows) {
        if (now - row.receivedMs > this.staleAfterMs !== row.pushedStale && !this.changed.has(key)) take(key, row);
      }
    }
    return out;
  }

  private stamp(row: Row<S>, now: number): S & LiveStamp {
    return { ...row.state, ts: toIsoUtc(row.tsMs), receivedAt: toIsoUtc(row.receivedMs), stale: now - row.receivedMs > this.staleAfterMs };
  }
}
