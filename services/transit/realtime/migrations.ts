import type { Migration } from '../../platform/domain-module.ts';

/**
 * The realtime half of transit keeps two tables in the registry database: the learned travel
 * times (so predictions survive a restart) and which stops a `display` token may read.
 */
export const REALTIME_MIGRATIONS: readonly Migration[] = [
  {
    id: 'transit:rt-1',
    sql: `CREATE TABLE IF NOT EXISTS transit_travel_times (
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        hour INTEGER NOT NULL,
        mean_s REAL NOT NULL,
        n INTEGER NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (kind, key, hour)
      );
      CREATE TABLE IF NOT EXISTS transit_display_stops (
        principal TEXT NOT NULL,
        stop_id TEXT NOT NULL,
        PRIMARY KEY (principal, stop_id)
      );`,
  },
];
