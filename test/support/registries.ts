import { startPostgres, type RunningPostgres } from './postgres.ts';

/** Where a test hub keeps its registry: the embedded SQLite default, or PostgreSQL (DATABASE_URL). */
export const REGISTRY_KINDS = ['sqlite', 'postgres'] as const;
export type RegistryKind = (typeof REGISTRY_KINDS)[number];

export interface TestRegistry {
  kind: RegistryKind;
  /** settings for one more hub: a fresh database of its own ({} for SQLite, whose file is in the hub's data folder) */
  env(): Promise<Record<string, string>>;
  /** the server, started by the first `env()` (postgres only) */
  server(): Promise<RunningPostgres>;
  stop(): Promise<void>;
}

/**
 * A registry for the hubs of one `describe` block, so one suite runs on both: `describe.each(REGISTRY_KINDS)`.
 * For postgres a real PostgreSQL 15 (test/support/postgres.ts) is started at the first `env()`.
 */
export function testRegistry(kind: RegistryKind): TestRegistry {
  let running: Promise<RunningPostgres> | undefined;
  let databases = 0;
  const server = () => (running ??= startPostgres());
  return {
    kind,
    async env(): Promise<Record<string, string>> {
      if (kind === 'sqlite') return {};
      return { DATABASE_URL: await (await server()).createDatabase(`registry_${++databases}`) };
    },
    server,
    async stop() {
      if (running) await (await running).stop();
    },
  };
}
