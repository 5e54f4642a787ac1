import type { Migration } from '../../platform/domain-module.ts';

/**
 * The realtime half of transit keeps its tables in the registry database: the learned travel
 * times (so predictions survive a restart), which stops a `display` token may read — both in
 * the instance's own file — and, shared in a cluster (`postgres` forms, `DomainContext.tables`),
 * the operations alerts with their history and the dispatchers' service alerts.
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
    // Shared in a cluster: the display stops (operator-made). Travel times stay per instance.
    postgres: `CREATE TABLE transit_display_stops (
        principal TEXT NOT NULL,
        stop_id TEXT NOT NULL,
        PRIMARY KEY (principal, stop_id)
      );`,
  },
  {
    id: 'transit:ops-1',
    sql: `CREATE TABLE IF NOT EXISTS transit_ops_alerts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL,
        kind TEXT NOT NULL,
        vehicle_id TEXT,
        trip_id TEXT,
        route_id TEXT,
        value REAL NOT NULL,
        message TEXT NOT NULL,
        raised_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        acknowledged_at TEXT,
        acknowledged_by TEXT,
        cleared_at TEXT
      );
      CREATE INDEX IF NOT EXISTS transit_ops_alerts_open ON transit_ops_alerts (cleared_at, key);
      CREATE INDEX IF NOT EXISTS transit_ops_alerts_raised ON transit_ops_alerts (raised_at);`,
    postgres: `CREATE TABLE transit_ops_alerts (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        key TEXT NOT NULL,
        kind TEXT NOT NULL,
        vehicle_id TEXT,
        trip_id TEXT,
        route_id TEXT,
        value DOUBLE PRECISION NOT NULL,
        message TEXT NOT NULL,
        raised_at TEXT NOT NULL,
        last_seen_at TEXT NOT NULL,
        acknowledged_at TEXT,
        acknowledged_by TEXT,
        cleared_at TEXT
      );
      CREATE INDEX transit_ops_alerts_open ON transit_ops_alerts (cleared_at, key);
      CREATE INDEX transit_ops_alerts_raised ON transit_ops_alerts (raised_at);`,
  },
  {
    id: 'transit:alerts-1',
    sql: `CREATE TABLE IF NOT EXISTS transit_service_alerts (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        route_ids TEXT NOT NULL,
        stop_ids TEXT NOT NULL,
        start_at TEXT,
        end_at TEXT,
        header_uk TEXT NOT NULL,
        header_en TEXT,
        description_uk TEXT,
        description_en TEXT,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        updated_by TEXT NOT NULL
      );`,
    postgres: `CREATE TABLE transit_service_alerts (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        route_ids TEXT NOT NULL,
        stop_ids TEXT NOT NULL,
        start_at TEXT,
        end_at TEXT,
        header_uk TEXT NOT NULL,
        header_en TEXT,
        description_uk TEXT,
        description_en TEXT,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        updated_by TEXT NOT NULL
      );`,
  },
];
