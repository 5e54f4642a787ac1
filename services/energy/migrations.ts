import type { Migration } from '../platform/domain-module.ts';

/**
 * The energy domain's tables in the registry database (applied by the hub, once each, by id).
 *  - energy_buildings: the buildings meters belong to;
 *  - energy_readings: every accepted register reading, per meter and ts (the last one wins), so a
 *    late or out-of-order reading can recompute the hours it touches without asking the history store;
 *  - energy_meters: the unit and multiplier the rollups of a meter were computed with;
 *  - energy_hourly / energy_daily: consumption per local hour and per local day, kept as readings
 *    arrive; day starts are local midnights (epoch ms);
 *  - energy_weather: outdoor temperatures from weather stations (energy:2), for degree-days;
 *  - energy_anomalies: what the scans found, with its evidence and state (energy:3);
 *  - energy_tariffs: the price of a unit of each resource over local dates (energy:4); its
 *    time-of-day zones as JSON, null for a flat price (energy:5).
 */
export const ENERGY_MIGRATIONS: readonly Migration[] = [
  {
    id: 'energy:1',
    sql: `CREATE TABLE IF NOT EXISTS energy_buildings (
       id TEXT PRIMARY KEY,
       name TEXT NOT NULL,
       type TEXT NOT NULL,
       area_m2 REAL NOT NULL,
       address TEXT, lat REAL, lon REAL,
       created_at TEXT NOT NULL,
       updated_at TEXT NOT NULL
     );
     CREATE TABLE IF NOT EXISTS energy_readings (
       meter_id TEXT NOT NULL,
       ts INTEGER NOT NULL,
       value REAL NOT NULL,
       unit TEXT NOT NULL,
       PRIMARY KEY (meter_id, ts)
     ) WITHOUT ROWID;
     CREATE TABLE IF NOT EXISTS energy_meters (
       meter_id TEXT PRIMARY KEY,
       unit TEXT NOT NULL,
       multiplier REAL NOT NULL
     );
     CREATE TABLE IF NOT EXISTS energy_hourly (
       meter_id TEXT NOT NULL,
       hour INTEGER NOT NULL,
       value REAL NOT NULL,
       estimated INTEGER NOT NULL,
       PRIMARY KEY (meter_id, hour)
     ) WITHOUT ROWID;
     CREATE TABLE IF NOT EXISTS energy_daily (
       meter_id TEXT NOT NULL,
       day INTEGER NOT NULL,
       value REAL NOT NULL,
       estimated INTEGER NOT NULL,
       hours INTEGER NOT NULL,
       PRIMARY KEY (meter_id, day)
     ) WITHOUT ROWID;`,
    // Shared in a cluster: the buildings (operator-made). Readings, meters' rules and rollups are
    // each instance's own, fed by every accepted reading (docs/scale-out.md §5).
    postgres: `CREATE TABLE energy_buildings (
       id TEXT PRIMARY KEY,
       name TEXT NOT NULL,
       type TEXT NOT NULL,
       area_m2 DOUBLE PRECISION NOT NULL,
       address TEXT, lat DOUBLE PRECISION, lon DOUBLE PRECISION,
       created_at TEXT NOT NULL,
       updated_at TEXT NOT NULL
     );`,
  },
  {
    id: 'energy:2',
    sql: `CREATE TABLE IF NOT EXISTS energy_weather (
       station_id TEXT NOT NULL,
       ts INTEGER NOT NULL,
       temperature_c REAL NOT NULL,
       PRIMARY KEY (station_id, ts)
     ) WITHOUT ROWID;
     CREATE INDEX IF NOT EXISTS energy_weather_ts ON energy_weather(ts);`,
  },
  {
    id: 'energy:3',
    sql: `CREATE TABLE IF NOT EXISTS energy_anomalies (
       id INTEGER PRIMARY KEY AUTOINCREMENT,
       meter_id TEXT NOT NULL,
       building_id TEXT,
       kind TEXT NOT NULL,
       start INTEGER NOT NULL,
       end INTEGER NOT NULL,
       evidence TEXT NOT NULL,
       state TEXT NOT NULL,
       detected_at TEXT NOT NULL,
       updated_at TEXT NOT NULL,
       updated_by TEXT,
       UNIQUE (meter_id, kind, start)
     );
     CREATE INDEX IF NOT EXISTS energy_anomalies_state ON energy_anomalies(state, start);`,
    // Shared in a cluster: found by the lease holder, acknowledged anywhere. "end" is reserved in PostgreSQL.
    postgres: `CREATE TABLE energy_anomalies (
       id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
       meter_id TEXT NOT NULL,
       building_id TEXT,
       kind TEXT NOT NULL,
       start BIGINT NOT NULL,
       "end" BIGINT NOT NULL,
       evidence TEXT NOT NULL,
       state TEXT NOT NULL,
       detected_at TEXT NOT NULL,
       updated_at TEXT NOT NULL,
       updated_by TEXT,
       UNIQUE (meter_id, kind, start)
     );
     CREATE INDEX energy_anomalies_state ON energy_anomalies(state, start);`,
  },
  {
    id: 'energy:4',
    sql: `CREATE TABLE IF NOT EXISTS energy_tariffs (
       id TEXT PRIMARY KEY,
       resource TEXT NOT NULL,
       unit TEXT NOT NULL,
       price_uah REAL NOT NULL,
       valid_from TEXT NOT NULL,
       valid_to TEXT,
       note TEXT,
       updated_at TEXT NOT NULL,
       updated_by TEXT
     );
     CREATE INDEX IF NOT EXISTS energy_tariffs_resource ON energy_tariffs(resource, valid_from);`,
    // Shared in a cluster (operator-made), with energy:5's zones column from the start.
    postgres: `CREATE TABLE energy_tariffs (
       id TEXT PRIMARY KEY,
       resource TEXT NOT NULL,
       unit TEXT NOT NULL,
       price_uah DOUBLE PRECISION NOT NULL,
       valid_from TEXT NOT NULL,
       valid_to TEXT,
       note TEXT,
       zones TEXT,
       updated_at TEXT NOT NULL,
       updated_by TEXT
     );
     CREATE INDEX energy_tariffs_resource ON energy_tariffs(resource, valid_from);`,
  },
  {
    id: 'energy:5',
    sql: `ALTER TABLE energy_tariffs ADD COLUMN zones TEXT;`,
  },
];
