import type { Db } from '../../registry/database.ts';
import { CachedTable, tableChanged, type DomainTables } from '../../platform/domain-tables.ts';
import type { TravelKind, TravelTimeRepo, TravelTimeRow } from './travel-times.ts';

const DISPLAY_TABLE = 'transit_display_stops';

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
 * (`token:{name}`, as the audit log writes it). A display with no stops reads none. In the shared
 * domain tables (PostgreSQL in a cluster): held in memory (checked at every `join` and board
 * request), written through, reloaded by principal when another instance binds one. Call `load()` first.
 */
export class DisplayStops extends CachedTable {
  private readonly stops = new Map<string, Set<string>>();

  constructor(db: DomainTables, onError?: (err: Error) => void) {
    super(db, DISPLAY_TABLE, onError);
  }

  protected async reload(principals: string[] | undefined): Promise<void> {
    if (principals === undefined) this.stops.clear();
    for (const p of principals ?? [undefined]) {
      const rows = (await this.db.query<{ principal: string; stop_id: string }>(
        `SELECT principal, stop_id FROM ${DISPLAY_TABLE}${p === undefined ? '' : ' WHERE principal = $1'}`, p === undefined ? [] : [p])).rows;
      if (p !== undefined) this.stops.delete(p);
      for (const r of rows) this.keep(r.principal).add(r.stop_id);
    }
  }

  private keep(principal: string): Set<string> {
    let s = this.stops.get(principal);
    if (!s) this.stops.set(principal, (s = new Set()));
    return s;
  }

  stopsOf(principal: string): string[] {
    return [...(this.stops.get(principal) ?? [])].sort();
  }

  may(principal: string, stopId: string): boolean {
    return this.stops.get(principal)?.has(stopId) ?? false;
  }

  async set(principal: string, stopIds: readonly string[]): Promise<void> {
    const unique = [...new Set(stopIds)];
    await this.db.transaction(async (tx) => {
      await tx.query(`DELETE FROM ${DISPLAY_TABLE} WHERE principal = $1`, [principal]);
      for (const s of unique) await tx.query(`INSERT INTO ${DISPLAY_TABLE} (principal, stop_id) VALUES ($1, $2)`, [principal, s]);
      await tableChanged(this.db, tx, DISPLAY_TABLE, [principal]);
    });
    this.stops.set(principal, new Set(unique));
  }
}
