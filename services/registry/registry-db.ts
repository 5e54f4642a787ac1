/**
 * The port the core registry (devices, accounts and tokens, audit, domain migration bookkeeping)
 * talks to its database through: better-sqlite3 embedded (default), or PostgreSQL when
 * DATABASE_URL is set, shared by every hub instance (docs/scale-out.md §6).
 *
 * SQL is written once, in the common SQL of both, with PostgreSQL's numbered parameters `$1`,
 * `$2`… (the SQLite adapter rewrites them). Booleans are INTEGER 0/1 and times ISO 8601 TEXT on
 * both, so a row reads the same from either.
 */
import type { RegistryChange } from '../contracts/index.ts';

export type SqlValue = string | number | null;

export interface QueryResult<R> {
  rows: R[];
  /** rows inserted, updated or deleted (or returned, for a SELECT) */
  rowCount: number;
}

/** Runs statements: the database itself, or one transaction of it. */
export interface RegistrySql {
  query<R = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<QueryResult<R>>;
}

/** A registry change without its sender: the port fills in `from`. */
export type RegistryChangeNotice =
  | { kind: 'device'; id: string }
  | { kind: 'tokens' }
  /** rows of a domain's shared table changed (`ids`: their keys, at most 100; absent: reload it) */
  | { kind: 'table'; table: string; ids?: string[] };

export interface RegistryDb extends RegistrySql {
  readonly dialect: 'sqlite' | 'postgres';
  /** e.g. `sqlite (registry.sqlite)`, `postgres (db.example:5432/mistohub)`; never a password */
  readonly description: string;
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. `fn`
   * must await only its own `tx` queries (on SQLite the whole body then runs in one turn of the
   * event loop, so no message handler can interleave).
   */
  transaction<T>(fn: (tx: RegistrySql) => Promise<T>): Promise<T>;
  /**
   * Tells the other instances about a change, within `tx` so it goes out only if `tx` commits
   * (PostgreSQL NOTIFY). A no-op on SQLite, which has no other instance.
   */
  notify(tx: RegistrySql, change: RegistryChangeNotice): Promise<void>;
  /**
   * Calls `listener` for each change another instance made, and with `'resync'` after the
   * notification channel was lost and found again (changes may have been missed: reload all).
   * Returns the unsubscribe.
   */
  onChange(listener: (change: RegistryChange | 'resync') => void): () => void;
  close(): Promise<void>;
}

// ── bulk statements, written once for both databases ─────────────────────────────────────────

/** Rows per bulk statement by default: parameters stay far below both databases' limits. */
export const BULK_ROWS = 500;

/** `list` in parts of at most `size` (a bulk statement each). */
export function bulkParts<T>(list: readonly T[], size = BULK_ROWS): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/** A cell of a VALUES list: the parameter as it is. */
export const asIs = (p: string): string => p;
/** A number in a VALUES list that is not an INSERT's: PostgreSQL would take an untyped parameter there as text. */
export const asBigint = (p: string): string => `CAST(${p} AS BIGINT)`;

/**
 * `($1, $2), ($3, $4)…`: `rows` rows of `cells` parameters numbered from `$first`; `cells` is a
 * count, or one function per column wrapping its parameter (e.g. `asBigint`).
 */
export function valuesList(rows: number, cells: number | readonly ((p: string) => string)[], first = 1): string {
  const wrap = typeof cells === 'number' ? Array.from({ length: cells }, () => asIs) : cells;
  const out: string[] = [];
  let n = first;
  for (let r = 0; r < rows; r++) out.push(`(${wrap.map((cell) => cell(`$${n++}`)).join(', ')})`);
  return out.join(', ');
}

/** `$1, $2…`: `n` parameters from `$first`, for `IN (…)`. */
export const inList = (n: number, first = 1): string => Array.from({ length: n }, (_, i) => `$${first + i}`).join(', ');
