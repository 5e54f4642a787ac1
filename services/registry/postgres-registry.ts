import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { RegistryChange } from '../contracts/index.ts';
import type { QueryResult, RegistryDb, RegistrySql, SqlValue } from './registry-db.ts';

/** The channel every hub instance LISTENs on. */
export const REGISTRY_CHANNEL = 'registry_changed';

/**
 * Migrations of the registry on PostgreSQL, applied in order under an advisory lock (two
 * instances starting at once take turns); `registry_schema` records how far. The same tables as
 * SQLite's (services/registry/database.ts) in PostgreSQL's words. The domains' shared tables come
 * with their own migrations (`applySharedMigrations`); the dead letters and the tables each
 * instance derives from the peer feed stay in the instance's SQLite file. Never edit a
 * released migration: add a new one.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE devices (
     id TEXT PRIMARY KEY,
     kind TEXT NOT NULL,
     protocol TEXT NOT NULL,
     name TEXT, imei TEXT, vehicle_id TEXT, route_id TEXT, group_id TEXT, building_id TEXT,
     lat DOUBLE PRECISION, lon DOUBLE PRECISION,
     demo INTEGER NOT NULL DEFAULT 0,
     enabled INTEGER NOT NULL DEFAULT 1,
     secret_hash TEXT,
     created_at TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     resource TEXT, unit TEXT, multiplier DOUBLE PRECISION,
     endpoint_url TEXT, model TEXT
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
     id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     ts TEXT NOT NULL,
     actor TEXT NOT NULL,
     action TEXT NOT NULL,
     target TEXT,
     detail TEXT
   );`,
  // The domains' shared tables (their migrations' `postgres` form), recorded by id.
  `CREATE TABLE domain_migrations (
     id TEXT PRIMARY KEY,
     applied_at TEXT NOT NULL
   );`,
  // Run-once work's leases when there is no Redis (services/platform/lease-postgres.ts).
  `CREATE TABLE cluster_leases (
     name TEXT PRIMARY KEY,
     holder TEXT NOT NULL,
     until_ms BIGINT NOT NULL
   );`,
];

/** BIGINT (audit ids, counts) as a JS number: ids stay far below 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

/** `host:port/database` of a connection URL, never its user or password. */
export function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || u.searchParams.get('host') || 'localhost'}:${u.port || 5432}${u.pathname}`;
  } catch {
    return 'an unreadable DATABASE_URL';
  }
}

export interface PostgresRegistryOptions {
  url: string;
  /** connections of the pool (default 5) */
  poolSize?: number;
  /** a lost connection, a bad notice; the registry keeps going */
  onError?: (err: Error, what: string) => void;
  /** how long to wait before listening again after the notification connection was lost (default 1 s) */
  reconnectMs?: number;
}

async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query("SELECT pg_advisory_xact_lock(hashtext('mistohub:registry:migrate'))");
    await client.query('CREATE TABLE IF NOT EXISTS registry_schema (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
    const { rows } = await client.query<{ v: number | null }>('SELECT max(version) AS v FROM registry_schema');
    for (let v = rows[0]?.v ?? 0; v < MIGRATIONS.length; v++) {
      await client.query(MIGRATIONS[v]!);
      await client.query('INSERT INTO registry_schema (version, applied_at) VALUES ($1, $2)', [v + 1, new Date().toISOString()]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** Several statements in one query (a migration) answer one result each: the last one counts. */
const result = <R>(answer: pg.QueryResult | pg.QueryResult[]): QueryResult<R> => {
  const r = Array.isArray(answer) ? answer[answer.length - 1]! : answer;
  return { rows: r.rows as R[], rowCount: r.rowCount ?? r.rows.length };
};

/**
 * The registry port on PostgreSQL (node-postgres): a pool for statements, and one more connection
 * that LISTENs on `registry_changed` for the changes other instances make. Migrates at open and
 * listens before it returns, so a cache loaded after it misses no change.
 */
export async function openPostgresRegistry(opts: PostgresRegistryOptions): Promise<RegistryDb> {
  const onError = opts.onError ?? (() => {});
  const self = randomUUID();
  const description = `postgres (${describeDatabaseUrl(opts.url)})`;
  const pool = new pg.Pool({ connectionString: opts.url, max: opts.poolSize ?? 5, types, application_name: 'mistohub' });
  pool.on('error', (err) => onError(err, 'idle registry connection'));
  const listeners = new Set<(change: RegistryChange | 'resync') => void>();
  const emit = (change: RegistryChange | 'resync') => {
    for (const l of listeners) l(change);
  };
  let closed = false;
  let listener: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;

  /** Listens again after a pause, until it works or the registry is closed. */
  const listenAgain = (): void => {
    if (closed) return;
    retry = setTimeout(() => {
      retry = undefined;
      // Changes made while away were not heard: every cache reloads.
      listen().then(
        () => emit('resync'),
        (err: Error) => {
          onError(err, 'registry notification connection');
          listenAgain();
        },
      );
    }, opts.reconnectMs ?? 1000);
  };

  const listen = async (): Promise<void> => {
    const client = new pg.Client({ connectionString: opts.url, types, application_name: 'mistohub-listen' });
    let lost = false;
    const reconnect = (err: Error) => {
      if (lost || closed) return;
      lost = true;
      onError(err, 'registry notification connection');
      client.end().catch(() => {});
      listenAgain();
    };
    client.on('error', reconnect);
    client.on('end', () => reconnect(new Error('connection ended')));
    client.on('notification', (msg) => {
      if (msg.channel !== REGISTRY_CHANNEL || !msg.payload) return;
      let parsed;
      try {
        parsed = RegistryChange.safeParse(JSON.parse(msg.payload));
      } catch {
        parsed = undefined;
      }
      if (!parsed?.success) return onError(new Error(`unreadable notice on ${REGISTRY_CHANNEL}`), 'registry notification');
      if (parsed.data.from !== self) emit(parsed.data);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${REGISTRY_CHANNEL}`);
    } catch (err) {
      lost = true;
      client.end().catch(() => {});
      throw err;
    }
    listener = client;
  };

  try {
    await migrate(pool);
    await listen();
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }

  const query = async <R>(sql: string, params: readonly SqlValue[] = []) => result<R>(await pool.query(sql, params as SqlValue[]));
  return {
    dialect: 'postgres',
    description,
    query,
    async transaction<T>(fn: (tx: RegistrySql) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const value = await fn({ query: async (sql, params = []) => result(await client.query(sql, params as SqlValue[])) });
        await client.query('COMMIT');
        return value;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    async notify(tx, change) {
      await tx.query('SELECT pg_notify($1, $2)', [REGISTRY_CHANNEL, JSON.stringify({ ...change, from: self })]);
    },
    onChange(l) {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    async close() {
      closed = true;
      if (retry) clearTimeout(retry);
      listeners.clear();
      await listener?.end().catch(() => {});
      await pool.end();
    },
  };
}
