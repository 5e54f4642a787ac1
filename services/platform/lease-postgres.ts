import type { RegistryDb } from '../registry/registry-db.ts';
import type { LeaseStore } from './lease.ts';

/** The database's own clock in epoch ms: every instance's lease is timed by one clock. */
const NOW_MS = `(extract(epoch from clock_timestamp()) * 1000)::bigint`;

/**
 * Leases in PostgreSQL (DATABASE_URL without REDIS_URL): a row per lease in `cluster_leases`
 * naming its holder and when it lapses, by the database's clock. Each call is one statement, so
 * taking, extending and giving up are atomic on the row; a lapsed lease is taken over by the next
 * `acquire`. The hub's own margin (heldUntil) covers the trip to the database.
 */
export class PostgresLeaseStore implements LeaseStore {
  constructor(private readonly db: RegistryDb) {}

  async acquire(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `INSERT INTO cluster_leases (name, holder, until_ms) VALUES ($1, $2, ${NOW_MS} + $3::bigint)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until_ms = excluded.until_ms
        WHERE cluster_leases.holder = excluded.holder OR cluster_leases.until_ms <= ${NOW_MS}
       RETURNING holder`,
      [name, holder, ttlMs],
    );
    return rowCount === 1;
  }

  async renew(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const { rowCount } = await this.db.query(
      `UPDATE cluster_leases SET until_ms = ${NOW_MS} + $3::bigint WHERE name = $1 AND holder = $2 AND until_ms > ${NOW_MS} RETURNING holder`,
      [name, holder, ttlMs],
    );
    return rowCount === 1;
  }

  async release(name: string, holder: string): Promise<void> {
    await this.db.query('DELETE FROM cluster_leases WHERE name = $1 AND holder = $2', [name, holder]);
  }

  async holder(name: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ holder: string }>(`SELECT holder FROM cluster_leases WHERE name = $1 AND until_ms > ${NOW_MS}`, [name]);
    return rows[0]?.holder;
  }

  /** The database is the registry's: closed with it. */
  async close(): Promise<void> {}
}
