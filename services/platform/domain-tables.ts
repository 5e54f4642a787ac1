/**
 * The port a domain keeps its shared tables through (`DomainContext.tables`): the registry's own
 * `RegistryDb` — PostgreSQL when DATABASE_URL is set (shared by every hub instance), else this
 * instance's SQLite file. SQL is written once with `$1` parameters (docs/scale-out.md §6).
 *
 * A domain that caches rows in memory writes through (database first, then its cache), tells
 * the other instances with `tableChanged` inside the write's transaction, and follows theirs
 * with `onTableChange`.
 */
import type { RegistryDb, RegistrySql } from '../registry/registry-db.ts';

export type { QueryResult, RegistryDb as DomainTables, RegistrySql, SqlValue } from '../registry/registry-db.ts';
export { asBigint, asIs, bulkParts, inList, valuesList } from '../registry/registry-db.ts';

/** More rows than this in one notice: the others reload the table (NOTIFY payloads are small). */
const MAX_IDS = 100;

/**
 * Tells the other instances that rows of `table` changed, within `tx` so it goes out only on
 * commit. `ids`: the rows' keys; absent (or more than 100), the others reload the whole table.
 * A no-op on SQLite (one instance).
 */
export function tableChanged(db: RegistryDb, tx: RegistrySql, table: string, ids?: readonly (string | number)[]): Promise<void> {
  if (db.dialect === 'sqlite') return Promise.resolve();
  return db.notify(tx, ids && ids.length <= MAX_IDS ? { kind: 'table', table, ids: ids.map(String) } : { kind: 'table', table });
}

/**
 * Makes the transactions that name the same `key` take turns until `tx` ends: a check that reads
 * rows and then writes (no two tariffs of a resource may overlap) stays true when two instances
 * write at once. PostgreSQL: a transaction-scoped advisory lock on the key's hash. SQLite needs
 * none: its write transactions already take turns (BEGIN IMMEDIATE).
 */
export async function serializeOn(db: RegistryDb, tx: RegistrySql, key: string): Promise<void> {
  if (db.dialect === 'postgres') await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`mistohub:${key}`]);
}

/**
 * Follows another instance's changes to `table`: `fn(ids)` with the changed rows' keys, or
 * `fn(undefined)` to reload it all (a notice without ids, or the notice channel was lost and
 * found again). Calls run one after another, so an older read never overwrites a newer one.
 * Returns the unsubscribe; `settled()` resolves once the changes heard so far are applied.
 */
export function onTableChange(
  db: RegistryDb, table: string, fn: (ids: string[] | undefined) => unknown, onError: (err: Error) => void,
): { stop: () => void; settled: () => Promise<void> } {
  let chain: Promise<void> = Promise.resolve();
  const stop = db.onChange((change) => {
    if (change !== 'resync' && (change.kind !== 'table' || change.table !== table)) return;
    const ids = change === 'resync' ? undefined : change.ids;
    chain = chain.then(async () => {
      await fn(ids);
    }).catch(onError);
  });
  return { stop, settled: () => chain };
}

/**
 * A shared table (or a few, noticed under one name) held in memory: `load()` reads it all and
 * follows the other instances' changes, calling `reload(ids)` (undefined: everything) and then
 * `onRemoteChange`. The subclass writes through: database first, with `tableChanged`, then memory.
 */
export abstract class CachedTable {
  private following: { stop: () => void; settled: () => Promise<void> } | undefined;

  constructor(
    protected readonly db: RegistryDb, protected readonly table: string,
    protected readonly onError: (err: Error) => void = () => {}, private readonly onRemoteChange: () => void = () => {},
  ) {}

  /** Reads the rows `ids` name (their keys as text), or every row when undefined, into memory. */
  protected abstract reload(ids: string[] | undefined): Promise<void>;

  async load(): Promise<void> {
    this.following ??= onTableChange(this.db, this.table, async (ids) => {
      await this.reload(ids);
      this.onRemoteChange();
    }, this.onError);
    await this.reload(undefined);
  }

  /** Resolves once the other instances' changes heard so far are in memory. */
  settled(): Promise<void> {
    return this.following?.settled() ?? Promise.resolve();
  }

  close(): void {
    this.following?.stop();
  }
}

/**
 * A `CachedTable` of one table keyed by its `id` column, each row held in memory as a value: the
 * reload by id (a row gone elsewhere is dropped) and the delete are written once here.
 */
export abstract class KeyedCachedTable<K extends string | number, R extends { id: unknown }, V> extends CachedTable {
  protected readonly byId = new Map<K, V>();

  constructor(
    db: RegistryDb, table: string,
    private readonly keyOf: (id: string) => K, private readonly toValue: (row: R) => V,
    onError?: (err: Error) => void, onRemoteChange?: () => void,
  ) {
    super(db, table, onError, onRemoteChange);
  }

  /** Called after rows in memory changed (a subclass drops what it derived from them). */
  protected changed(): void {}

  protected async reload(ids: string[] | undefined): Promise<void> {
    if (ids === undefined) {
      const rows = (await this.db.query<R>(`SELECT * FROM ${this.table}`)).rows;
      this.byId.clear();
      for (const r of rows) this.byId.set(this.keyOf(String(r.id)), this.toValue(r));
    } else {
      for (const text of ids) {
        const id = this.keyOf(text);
        const r = (await this.db.query<R>(`SELECT * FROM ${this.table} WHERE id = $1`, [id])).rows[0];
        if (r) this.byId.set(id, this.toValue(r));
        else this.byId.delete(id);
      }
    }
    this.changed();
  }

  /** Deletes a row here and, by a notice, on the other instances. False when there was none. */
  protected async deleteRow(id: K): Promise<boolean> {
    const removed = await this.db.transaction(async (tx) => {
      const n = (await tx.query(`DELETE FROM ${this.table} WHERE id = $1`, [id])).rowCount;
      if (n) await tableChanged(this.db, tx, this.table, [String(id)]);
      return n > 0;
    });
    this.byId.delete(id);
    this.changed();
    return removed;
  }
}
