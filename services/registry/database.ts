import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Migration } from '../platform/domain-module.ts';

export type Db = Database.Database;

/**
 * Migrations of the registry database, applied in order; `user_version` records how far.
 * Never edit a released migration: add a new one.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE devices (
     id TEXT PRIMARY KEY,
     kind TEXT NOT NULL,
     protocol TEXT NOT NULL,
     name TEXT, imei TEXT, vehicle_id TEXT, route_id TEXT, group_id TEXT, building_id TEXT,
     lat REAL, lon REAL,
     demo INTEGER NOT NULL DEFAULT 0,
     enabled INTEGER NOT NULL DEFAULT 1,
     secret_hash TEXT,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL
   );
   CREATE UNIQUE INDEX devices_imei ON devices(protocol, imei) WHERE imei IS NOT NULL;
   CREATE TABLE users (
     username TEXT PRIMARY KEY,
     password_hash TEXT NOT NULL,
     roles TEXT NOT NULL,
     created_at TEXT NOT NULL
   );
   CREATE TABLE api_tokens (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     token_hash TEXT NOT NULL UNIQUE,
     roles TEXT NOT NULL,
     owner TEXT,
     created_at TEXT NOT NULL,
     expires_at TEXT
   );
   CREATE TABLE service_accounts (
     username TEXT PRIMARY KEY,
     secret_hash TEXT NOT NULL,
     scope TEXT NOT NULL,
     created_at TEXT NOT NULL
   );
   CREATE TABLE audit_log (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     ts TEXT NOT NULL,
     actor TEXT NOT NULL,
     action TEXT NOT NULL,
     target TEXT,
     detail TEXT
   );
   CREATE TABLE dead_letters (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     received_at TEXT NOT NULL,
     source TEXT NOT NULL,
     device_id TEXT,
     topic TEXT,
     reason TEXT NOT NULL,
     detail TEXT NOT NULL,
     payload_preview TEXT NOT NULL,
     payload_bytes INTEGER NOT NULL
   );`,
  // Domains' own migrations (applyDomainMigrations) are recorded by id, not by user_version.
  `CREATE TABLE domain_migrations (
     id TEXT PRIMARY KEY,
     applied_at TEXT NOT NULL
   );`,
  // Energy meters: what they measure, their unit and multiplier.
  `ALTER TABLE devices ADD COLUMN resource TEXT;
   ALTER TABLE devices ADD COLUMN unit TEXT;
   ALTER TABLE devices ADD COLUMN multiplier REAL;`,
  // OPC UA devices: the endpoint the hub connects to and the controller model of their nodes.
  `ALTER TABLE devices ADD COLUMN endpoint_url TEXT;
   ALTER TABLE devices ADD COLUMN model TEXT;`,
];

export function openRegistryDb(dataDir: string): Db {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, 'registry.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  migrate(db);
  return db;
}

function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

/**
 * Applies the migrations a domain module brings, each once, by id, in the order given. A
 * domain's tables live in the one registry database so a command and its audit entry can
 * share a transaction.
 */
export function applyDomainMigrations(db: Db, migrations: readonly Migration[], now: () => number): void {
  const applied = new Set((db.prepare('SELECT id FROM domain_migrations').all() as { id: string }[]).map((r) => r.id));
  for (const m of migrations) {
    if (applied.has(m.id)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.prepare('INSERT INTO domain_migrations (id, applied_at) VALUES (?, ?)').run(m.id, new Date(now()).toISOString());
    })();
  }
}
