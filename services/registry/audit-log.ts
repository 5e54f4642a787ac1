import type { RegistryDb, RegistrySql } from './registry-db.ts';

export interface AuditRecord {
  id: number;
  ts: string;
  actor: string;
  action: string;
  target: string | null;
  detail: string | null;
}

const INSERT = 'INSERT INTO audit_log (ts, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)';

/** Every change to the registry is written here, with who did it. Secrets never are. */
export class AuditLog {
  /** entries `record` sent and the database has not confirmed yet */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly db: RegistryDb,
    private readonly now: () => number,
    private readonly onError: (err: Error) => void = () => {},
  ) {}

  /**
   * Records an entry on its own, without waiting (the domains' AuditSink). On SQLite it is
   * written before this returns; on PostgreSQL `recent` and `flush` wait for it.
   */
  record(actor: string, action: string, target: string | null, detail?: unknown): void {
    const written: Promise<void> = this.recordIn(this.db, actor, action, target, detail)
      .catch((err: Error) => this.onError(err))
      .finally(() => this.inFlight.delete(written));
    this.inFlight.add(written);
  }

  /** Records an entry within a transaction (a registry change and its entry commit together). */
  async recordIn(tx: RegistrySql, actor: string, action: string, target: string | null, detail?: unknown): Promise<void> {
    await tx.query(INSERT, [new Date(this.now()).toISOString(), actor, action, target, detail === undefined ? null : JSON.stringify(detail)]);
  }

  /** Waits for the entries `record` sent. */
  async flush(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  async recent(limit: number, beforeId = Number.MAX_SAFE_INTEGER): Promise<AuditRecord[]> {
    await this.flush();
    const { rows } = await this.db.query<AuditRecord>('SELECT id, ts, actor, action, target, detail FROM audit_log WHERE id < $1 ORDER BY id DESC LIMIT $2', [beforeId, limit]);
    return rows;
  }
}
