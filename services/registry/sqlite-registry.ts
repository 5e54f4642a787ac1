import type { Db } from './database.ts';
import type { QueryResult, RegistryDb, RegistrySql, SqlValue } from './registry-db.ts';

/** `$1` → `@p1`: better-sqlite3 binds numbered parameters by name only. */
const toSqlite = (sql: string): string => sql.replace(/\$(\d+)/g, '@p$1');

/**
 * The registry port on the embedded SQLite file (the same connection the domains' tables use).
 * Statements run synchronously; their promises are already settled. While a transaction is
 * open, a statement from outside it waits for the end, so it never lands inside another's
 * transaction.
 */
export function sqliteRegistry(db: Db, description = 'sqlite'): RegistryDb {
  const statements = new Map<string, ReturnType<Db['prepare']>>();
  const prepared = (sql: string) => {
    let s = statements.get(sql);
    if (!s) {
      s = db.prepare(toSqlite(sql));
      statements.set(sql, s);
    }
    return s;
  };
  const exec = <R>(sql: string, params: readonly SqlValue[] = []): Promise<QueryResult<R>> => {
    try {
      const statement = prepared(sql);
      const bound = Object.fromEntries(params.map((v, i) => [`p${i + 1}`, v]));
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
