import { randomUUID } from 'node:crypto';
import type { LightingOverride, OverridePriority } from '../../contracts/index.ts';
import type { Db } from '../../registry/database.ts';

/** An override as the scheduler uses it: instants in epoch ms. */
export interface ActiveOverride {
  id: string;
  groupId: string | null;
  controllerId: string | null;
  level: number;
  priority: OverridePriority;
  createdAt: number;
  expiresAt: number;
}

interface Row {
  id: string; group_id: string | null; controller_id: string | null; level: number; priority: OverridePriority; note: string | null;
  created_at: number; created_by: string; expires_at: number; ended_at: number | null; ended_by: string | null;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** Manual overrides: a level for a group or one cabinet until it expires or is deleted. */
export class Overrides {
  constructor(private readonly db: Db) {}

  create(o: { groupId?: string | undefined; controllerId?: string | undefined; level: number; priority: OverridePriority; note?: string | undefined; expiresAt: number }, actor: string, nowMs: number): LightingOverride {
    const id = `ovr-${randomUUID()}`;
    this.db.prepare(`INSERT INTO lighting_overrides (id, group_id, controller_id, level, priority, note, created_at, created_by, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(id, o.groupId ?? null, o.controllerId ?? null, o.level, o.priority, o.note ?? null, nowMs, actor, o.expiresAt);
    return this.get(id, nowMs)!;
  }

  /** Ends an override now; false when it is unknown or already over. */
  end(id: string, actor: string, nowMs: number): boolean {
    return this.db.prepare('UPDATE lighting_overrides SET ended_at = ?, ended_by = ? WHERE id = ? AND ended_at IS NULL AND expires_at > ?').run(nowMs, actor, id, nowMs).changes > 0;
  }

  get(id: string, nowMs: number): LightingOverride | undefined {
    const row = this.db.prepare('SELECT * FROM lighting_overrides WHERE id = ?').get(id) as Row | undefined;
    return row && toOverride(row, nowMs);
  }

  /** Active ones, and with `includeEnded` the most recent others too. */
  list(nowMs: number, includeEnded = false, limit = 500): LightingOverride[] {
    const rows = (includeEnded
      ? this.db.prepare('SELECT * FROM lighting_overrides ORDER BY created_at DESC LIMIT ?').all(limit)
      : this.db.prepare('SELECT * FROM lighting_overrides WHERE ended_at IS NULL AND expires_at > ? ORDER BY created_at DESC LIMIT ?').all(nowMs, limit)) as Row[];
    return rows.map((r) => toOverride(r, nowMs));
  }

  active(nowMs: number): ActiveOverride[] {
    const rows = this.db.prepare('SELECT * FROM lighting_overrides WHERE ended_at IS NULL AND expires_at > ?').all(nowMs) as Row[];
    return rows.map((r) => ({ id: r.id, groupId: r.group_id, controllerId: r.controller_id, level: r.level, priority: r.priority, createdAt: r.created_at, expiresAt: r.expires_at }));
  }
}

function toOverride(r: Row, nowMs: number): LightingOverride {
  const endedAt = r.ended_at ?? (r.expires_at <= nowMs ? r.expires_at : null);
  return {
    id: r.id, groupId: r.group_id, controllerId: r.controller_id, level: r.level, priority: r.priority, note: r.note,
    createdAt: iso(r.created_at)!, createdBy: r.created_by, expiresAt: iso(r.expires_at)!,
    endedAt: iso(endedAt), endedBy: r.ended_by ?? (r.ended_at === null && endedAt !== null ? 'expiry' : null), active: endedAt === null,
  };
}
