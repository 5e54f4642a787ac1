import type { Db } from '../../registry/database.ts';
import type { TravelKind, TravelTimeRepo, TravelTimeRow } from './travel-times.ts';

/** Learned travel times in the registry database (table from REALTIME_MIGRATIONS). */
export function sqliteTravelTimes(db: Db, now: () => number): TravelTimeRepo {
  const upsert = db.prepare(
    `INSERT INTO transit_travel_times (kind, key, hour, mean_s, n, updated_at) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (kind, key, hour) DO UPDATE SET mean_s = excluded.mean_s, n = excluded.n, updated_at = excluded.updated_at`,
  );
  const saveAll = db.transaction((rows: readonly TravelTimeRow[], at: string) => {
    for (const r of rows) upsert.run(r.kind, r.key, r.hour, r.meanS, r.n, at);
  });
  return {
    load: () =>
      (db.prepare('SELECT kind, key, hour, mean_s, n FROM transit_travel_times').all() as { kind: TravelKind; key: string; hour: number; mean_s: number; n: number }[]).map(
        (r) => ({ kind: r.kind, key: r.key, hour: r.hour, meanS: r.mean_s, n: r.n }),
      ),
    save: (rows) => saveAll(rows, new Date(now()).toISOString()),
  };
}

/**
 * Which stops a display may read: a `display` token is bound to stops by its principal name
 * (`token:{name}`, as the audit log writes it). A display with no stops reads none.
 */
export class DisplayStops {
  constructor(private readonly db: Db) {}

  stopsOf(principal: string): string[] {
    return (this.db.prepare('SELECT stop_id FROM transit_display_stops WHERE principal = ? ORDER BY stop_id').all(principal) as { stop_id: string }[]).map((r) => r.stop_id);
  }

  may(principal: string, stopId: string): boolean {
    return this.db.prepare('SELECT 1 FROM transit_display_stops WHERE principal = ? AND stop_id = ?').get(principal, stopId) !== undefined;
  }

  set(principal: string, stopIds: readonly string[]): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM transit_display_stops WHERE principal = ?').run(principal);
      const ins = this.db.prepare('INSERT INTO transit_display_stops (principal, stop_id) VALUES (?, ?)');
      for (const s of new Set(stopIds)) ins.run(principal, s);
    })();
  }
}
