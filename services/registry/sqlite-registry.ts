import type { Db } from './database.ts';
import type { QueryResult, RegistryDb, RegistrySql, SqlValue } from './registry-db.ts';

/**
 * `$1` → `?` when the parameters appear once each, in order (bound by position: a bulk statement's
 * thousands of parameters bind several times faster so), else `$1` → `@p1` (by name: better-sqlite3
 * has no numbered parameters).
 */
function toSqlite(sql: string): { sql: string; positional: boolean } {
  const numbers = [...sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1]));
  const positional = numbers.every((n, i) => n === i + 1);
  return { sql: sql.replace(/\$(\d+)/g, positional ? '?' : '@p$1'), positional };
}

/**
 * The registry port on the embedded SQLite file (the same connection the domains' tables use).
 * Statements run synchronously; their promises are already settled. While a transaction is
 * open, a statement from outside it waits for the end, so it never lands inside another's
 * transaction.
 */
export function sqliteRegistry(db: Db, description = 'sqlite'): RegistryDb {
  const statements = new Map<string, { statement: ReturnType<Db['prepare']>; positional: boolean }>();
  const prepared = (sql: string) => {
    let s = statements.get(sql);
    if (!s) {
      const converted = toSqlite(sql);
      s = { statement: db.prepare(converted.sql), positional: converted.positional };
      statements.set(sql, s);
    }
    return s;
  };
  const exec = <R>(sql: string, params: readonly SqlValue[] = []): Promise<QueryResult<R>> => {
    try {
      const { statement, positional } = prepared(sql);
      const bound = positional ? params : Object.fromEntries(params.map((v, i) => [`p${i + 1}`, v]));
      if (statement.reader) {
        const rows = statement.all(bound) as R[];
        return Promise.resolve({ rows, rowCount: rows.length });
      }
      return Promise.resolve({ rows: [], rowCount: statement.run(bound).changes });
    } catch (err) {
      return Promise.reject(err as Error);
    }
  };
  /** the end of the open transaction, if one is open */
  let open: Promise<void> | undefined;

  const registry: RegistryDb = {
    dialect: 'sqlite',
    description,
    async query<R>(sql: string, params: readonly SqlValue[] = []) {
      while (open) await open;
      return exec<R>(sql, params);
    },
    async transaction<T>(fn: (tx: RegistrySql) => Promise<T>): Promise<T> {
      while (open) await open;
      let end!: () => void;
      open = new Promise<void>((r) => (end = r));
      const tx: RegistrySql = { query: (sql, params) => exec(sql, params) };
      try {
        db.exec('BEGIN IMMEDIATE');
        try {
          const result = await fn(tx);
          db.exec('COMMIT');
          return result;
        } catch (err) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw err;
        }
      } finally {
        open = undefined;
        end();
      }
    },
    notify: () => Promise.resolve(),
    onChange: () => () => {},
    close: () => Promise.resolve(),
  };
  return registry;
}
