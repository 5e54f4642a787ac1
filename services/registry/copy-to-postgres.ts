/**
 * Moving a city from one hub to a cluster: copies the rows of an instance's SQLite file that a
 * cluster keeps in PostgreSQL — the core registry (devices with their hashed secrets, users, API
 * tokens, service accounts, audit log) and every domain's shared tables (those with a `postgres`
 * migration) — into an empty PostgreSQL database (docs/scale-out.md §6). Run with the hub stopped.
 *
 * Rows read the same from either database (booleans 0/1, times as ISO text or epoch ms), so a row
 * is copied column by column, for the columns both tables have. Identity columns keep their values
 * and their sequences continue after the highest. All in one transaction: nothing or everything.
 */
import type { Migration } from '../platform/domain-module.ts';
import type { Db } from './database.ts';
import { bulkParts, valuesList, type RegistryDb, type SqlValue } from './registry-db.ts';

/** The core registry's tables, parents first. */
export const CORE_TABLES = ['devices', 'users', 'api_tokens', 'service_accounts', 'audit_log'] as const;

/** Rows per INSERT: a table may have a dozen columns, so fewer than the usual bulk. */
const ROWS_PER_INSERT = 200;

/** The tables the domains' migrations make in PostgreSQL, in the order they are made (parents first). */
export function sharedTablesOf(migrations: readonly Migration[]): string[] {
  const tables: string[] = [];
  for (const m of migrations) for (const match of (m.postgres ?? '').matchAll(/CREATE TABLE\s+(?:IF NOT EXISTS\s+)?(\w+)/gi)) tables.push(match[1]!);
  return tables;
}

export class CopyRefused extends Error {}

export interface CopyReport { table: string; rows: number }

/**
 * Copies `tables` from the SQLite file into PostgreSQL (migrated already). Refuses, copying
 * nothing, when any of them already has rows in PostgreSQL: it is for a database a cluster has
 * not used yet.
 */
export async function copyToPostgres(local: Db, pg: RegistryDb, tables: readonly string[]): Promise<CopyReport[]> {
  if (pg.dialect !== 'postgres') throw new CopyRefused('the target is not PostgreSQL');
  const inFile = new Set((local.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
  return pg.transaction(async (tx) => {
    const busy: string[] = [];
    for (const table of tables) {
      const { rows } = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
      if (rows[0]!.n > 0) busy.push(`${table} (${rows[0]!.n} rows)`);
    }
    if (busy.length) throw new CopyRefused(`PostgreSQL already holds rows in ${busy.join(', ')}: copy into a database no hub has used yet`);
    const report: CopyReport[] = [];
    for (const table of tables) {
      if (!inFile.has(table)) {
        report.push({ table, rows: 0 });
        continue;
      }
      const target = (await tx.query<{ column_name: string; is_identity: string }>(
        'SELECT column_name, is_identity FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position',
        [table],
      )).rows;
      const source = new Set((local.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name));
      const columns = target.map((c) => c.column_name).filter((c) => source.has(c));
      const rows = local.prepare(`SELECT ${columns.map((c) => `"${c}"`).join(', ')} FROM ${table}`).raw().all() as SqlValue[][];
      for (const part of bulkParts(rows, ROWS_PER_INSERT)) {
        await tx.query(`INSERT INTO ${table} (${columns.map((c) => `"${c}"`).join(', ')}) OVERRIDING SYSTEM VALUE VALUES ${valuesList(part.length, columns.length)}`, part.flat());
      }
      // an identity column continues after the values copied
      for (const c of target.filter((t) => t.is_identity === 'YES' && columns.includes(t.column_name))) {
        await tx.query(`SELECT setval(pg_get_serial_sequence($1, $2), GREATEST((SELECT max("${c.column_name}") FROM ${table}), 1), (SELECT count(*) > 0 FROM ${table}))`, [table, c.column_name]);
      }
      report.push({ table, rows: rows.length });
    }
    return report;
  });
}
