import { join } from 'node:path';
import { openRegistryDb, type Db } from './database.ts';
import { openPostgresRegistry } from './postgres-registry.ts';
import type { RegistryDb } from './registry-db.ts';
import { sqliteRegistry } from './sqlite-registry.ts';

export interface OpenedRegistry {
  /** the core registry: PostgreSQL with DATABASE_URL, else the local SQLite file */
  registry: RegistryDb;
  /**
   * This instance's own SQLite file: the domains' tables (`DomainContext.db`) and the dead
   * letters. Shared through PostgreSQL in a later step (docs/scale-out.md §6).
   */
  local: Db;
  close(): Promise<void>;
}

/** Opens the registry where the settings put it; both migrated. */
export async function openRegistry(opts: { dataDir: string; databaseUrl?: string | undefined; onError?: (err: Error, what: string) => void }): Promise<OpenedRegistry> {
  const local = openRegistryDb(opts.dataDir);
  try {
    const registry = opts.databaseUrl
      ? await openPostgresRegistry({ url: opts.databaseUrl, ...(opts.onError ? { onError: opts.onError } : {}) })
      : sqliteRegistry(local, `sqlite (${join(opts.dataDir, 'registry.sqlite')})`);
    return {
      registry, local,
      async close() {
        try {
          await registry.close();
        } finally {
          local.close();
        }
      },
    };
  } catch (err) {
    local.close();
    throw err;
  }
}
