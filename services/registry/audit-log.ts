import type { Db } from './database.ts';

export interface AuditRecord {
  id: number;
  ts: string;
  actor: string;
  action: string;
  target: string | null;
  detail: string | null;
}

/** Every change to the registry is written here, with who did it. Secrets never are. */
export class AuditLog {
  private readonly insert;
  private readonly list;
  constructor(db: Db, private readonly now: () => number) {
    this.insert = db.prepare('INSERT INTO audit_log (ts, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)');
    this.list = db.prepare('SELECT id, ts, actor, action, target, detail FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?');
  }

  record(actor: string, action: string, target: string | null, detail?: unknown): void {
    this.insert.run(new Date(this.now()).toISOString(), actor, action, target, detail === undefined ? null : JSON.stringify(detail));
  }

  recent(limit: number, beforeId = Number.MAX_SAFE_INTEGER): AuditRecord[] {
    return this.list.all(beforeId, limit) as AuditRecord[];
  }
}
