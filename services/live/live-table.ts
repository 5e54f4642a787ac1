interface Row<S> {
  state: S;
  tsMs: number;
  receivedMs: number;
  /** the stale flag last pushed, so a row that goes stale is pushed once more */
  pushedStale?: boolean;
}

/**
 * Latest state per object. Only moves forward in the device's time, so buffered and
 * out-of-order records go to history without moving live state back. Keeps the set of objects
 * changed since the last push: Socket.IO pushes take the changes on a timer, so a chatty device
 * costs one update per push interval, however often it reports.
 */
export class LiveTable<S extends object> {
  private readonly rows = new Map<string, Row<S>>();
  private readonly changed = new Set<string>();

  constructor(private readonly now: () => number, private readonly staleAfterMs: number) {}

  /** Returns true when `state` is newer than what the table held and replaced it. */
  offer(key: string, tsMs: number, receivedMs: number, state: S): boolean {
    const current = this.rows.get(key);
    if (current && tsMs <= current.tsMs) return false;
    this.rows.set(key, { state, tsMs, receivedMs });
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

  list(filter?: (s: S) => boolean): (S & { stale: boolean })[] {
    const out: (S & { stale: boolean })[] = [];
    for (const row of this.rows.values()) if (!filter || filter(row.state)) out.push(this.withStale(row));
    return out;
  }

  /** The rows changed since the previous call, and those that went stale (or fresh) since. */
  takeChanges(): (S & { stale: boolean })[] {
    const out: (S & { stale: boolean })[] = [];
    for (const [key, row] of this.rows) {
      const withStale = this.withStale(row);
      if (this.changed.has(key) || row.pushedStale !== withStale.stale) {
        row.pushedStale = withStale.stale;
        out.push(withStale);
      }
    }
    this.changed.clear();
    return out;
  }

  private withStale(row: Row<S>): S & { stale: boolean } {
    return { ...row.state, stale: this.now() - row.receivedMs > this.staleAfterMs };
  }
}
