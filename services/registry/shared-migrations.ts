import type { Migration } from '../platform/domain-module.ts';
import type { RegistryDb } from './registry-db.ts';

/**
 * Applies the PostgreSQL form (`postgres`) of a domain's migrations to the shared database, each
 * once, by id, recorded in PostgreSQL's `domain_migrations`; all in one transaction under an
 * advisory lock, so instances starting together take turns. On SQLite nothing to do: the
 * domain's tables are in the instance's file, created by `applyDomainMigrations`.
 */
export async function applySharedMigrations(db: RegistryDb, migrations: readonly Migration[], now: () => number): Promise<void> {
  if (db.dialect !== 'postgres' || !migrations.some((m) => m.postgres)) return;
  await db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('mistohub:domains:migrate'))");
    const applied = new Set((await tx.query<{ id: string }>('SELECT id FROM domain_migrations')).rows.map((r) => r.id));
    for (const m of migrations) {
      if (!m.postgres || applied.has(m.id)) continue;
      // No parameters: the simple query protocol, so a migration may hold several statements.
      await tx.query(m.postgres);
      await tx.query('INSERT INTO domain_migrations (id, applied_at) VALUES ($1, $2)', [m.id, new Date(now()).toISOString()]);
    }
  });
}
