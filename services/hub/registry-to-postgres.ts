/**
 * `npm run registry:to-postgres`: a city that ran on one hub (SQLite in HUB_DATA_DIR) moves to a
 * cluster. With the hub stopped, copies its devices, users, tokens, service accounts, audit log
 * and every domain's shared tables into the empty PostgreSQL database at DATABASE_URL (migrating
 * it first), then the hubs start with DATABASE_URL set (docs/scale-out.md §6). Exits 1, having
 * copied nothing, when the database already holds rows or a row does not fit.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { settingsOrExit } from '../config/settings.ts';
import { applyDomainMigrations, openRegistryDb } from '../registry/database.ts';
import { CORE_TABLES, copyToPostgres, sharedTablesOf } from '../registry/copy-to-postgres.ts';
import { openPostgresRegistry } from '../registry/postgres-registry.ts';
import { applySharedMigrations } from '../registry/shared-migrations.ts';
import { DOMAINS } from './domains.ts';

const settings = settingsOrExit(process.env);
const file = join(settings.HUB_DATA_DIR, 'registry.sqlite');
if (!settings.DATABASE_URL) {
  console.error('DATABASE_URL is not set: name the PostgreSQL database to copy into (postgres://user:password@host:5432/db)');
  process.exit(1);
}
if (!existsSync(file)) {
  console.error(`${file} does not exist: set HUB_DATA_DIR to the data folder of the hub whose registry is to be copied`);
  process.exit(1);
}

const local = openRegistryDb(settings.HUB_DATA_DIR);
const pg = await openPostgresRegistry({ url: settings.DATABASE_URL });
try {
  const migrations = DOMAINS.flatMap((d) => d.migrations ?? []);
  // The file gets its domains' tables too (a registry copied before a domain first ran).
  for (const d of DOMAINS) applyDomainMigrations(local, d.migrations ?? [], Date.now);
  for (const d of DOMAINS) await applySharedMigrations(pg, d.migrations ?? [], Date.now);
  const report = await copyToPostgres(local, pg, [...CORE_TABLES, ...sharedTablesOf(migrations)]);
  for (const r of report) console.log(`${r.table.padEnd(28)} ${String(r.rows).padStart(8)} rows`);
  console.log(`copied ${report.reduce((n, r) => n + r.rows, 0)} rows from ${file} into ${pg.description}`);
} catch (err) {
  console.error(`nothing copied: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await pg.close();
  local.close();
}
