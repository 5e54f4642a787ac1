import { randomUUID } from 'node:crypto';
import type { LightingOverride, OverridePriority } from '../../contracts/index.ts';
import { CachedTable, tableChanged, type DomainTables } from '../../platform/domain-tables.ts';

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

const TABLE = 'lighting_overrides';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** BIGINT columns come back as numbers from both adapters; this keeps it so. */
const norm = (r: Row): Row => ({ ...r, created_at: Number(r.created_at), expires_at: Number(r.expires_at), ended_at: r.ended_at === null ? null : Number(r.ended_at) });

/**
 * Manual overrides: a level for a group or one cabinet until it expires or is deleted. In the
 * shared domain tables (PostgreSQL in a cluster); the ones not ended are held in memory (the
 * scheduler reads them every pass), reloaded when another instance changes one. Call `load()` first.
 */
export class Overrides extends CachedTable {
  /** overrides not ended by hand (some may have expired since) */
  private readonly open = new Map<string, Row>();

  constructor(db: DomainTables, private readonly now: () => number, onRemoteChange?: () => void, onError?: (err: Error) => void) {
    super(db, TABLE, onError, onRemoteChange);
  }

  protected async reload(ids: string[] | undefined): Promise<void> {
    if (ids === undefined) {
      const rows = (await this.db.query<Row>(`SELECT * FROM ${TABLE} WHERE ended_at IS NULL AND expires_at > $1`, [this.now()])).rows;
      this.open.clear();
      for (const r of rows) this.open.set(r.id, norm(r));
      return;
    }
    for (const id of ids) this.keep((await this.db.query<Row>(`SELECT * FROM ${TABLE} WHERE id = $1`, [id])).rows[0], id);
  }

  private keep(row: Row | undefined, id: string): void {
    if (row && row.ended_at === null) this.open.set(id, norm(row));
    else this.open.delete(id);
  }

  async create(o: { groupId?: string | undefined; controllerId?: string | undefined; level: number; priority: OverridePriority; note?: string | undefined; expiresAt: number }, actor: string, nowMs: number): Promise<LightingOverride> {
    const id = `ovr-${randomUUID()}`;
    const row = await this.db.transaction(async (tx) => {
      const r = (await tx.query<Row>(`INSERT INTO ${TABLE} (id, group_id, controller_id, level, priority, note, created_at, created_by, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
        [id, o.groupId ?? null, o.controllerId ?? null, o.level, o.priority, o.note ?? null, nowMs, actor, o.expiresAt])).rows[0]!;
      await tableChanged(this.db, tx, TABLE, [id]);
      return r;
    });
    this.keep(row, id);
    return toOverride(norm(row), nowMs);
  }

  /** Ends an override now; false when it is unknown or already over. */
  async end(id: string, actor: string, nowMs: number): Promise<boolean> {
    const row = await this.db.transaction(async (tx) => {
      const r = (await tx.query<Row>(`UPDATE ${TABLE} SET ended_at = $1, ended_by = $2 WHERE id = $3 AND ended_at IS NULL AND expires_at > $1 RETURNING *`, [nowMs, actor, id])).rows[0];
      if (r) await tableChanged(this.db, tx, TABLE, [id]);
      return r;
    });
    if (row) this.keep(row, id);
    return row !== undefined;
  }

  async get(id: string, nowMs: number): Promise<LightingOverride | undefined> {
    const row = (await this.db.query<Row>(`SELECT * FROM ${TABLE} WHERE id = $1`, [id])).rows[0];
    return row && toOverride(norm(row), nowMs);
  }

  /** Active ones, and with `includeEnded` the most recent others too. */
  async list(nowMs: number, includeEnded = false, limit = 500): Promise<LightingOverride[]> {
    const rows = (includeEnded
      ? await this.db.query<Row>(`SELECT * FROM ${TABLE} ORDER BY created_at DESC LIMIT $1`, [limit])
      : await this.db.query<Row>(`SELECT * FROM ${TABLE} WHERE ended_at IS NULL AND expires_at > $1 ORDER BY created_at DESC LIMIT $2`, [nowMs, limit])).rows;
    return rows.map((r) => toOverride(norm(r), nowMs));
  }

  active(nowMs: number): ActiveOverride[] {
    const out: ActiveOverride[] = [];
    for (const r of this.open.values()) {
      if (r.expires_at <= nowMs) {
        this.open.delete(r.id);
        continue;
      }
      out.push({ id: r.id, groupId: r.group_id, controllerId: r.controller_id, level: r.level, priority: r.priority, createdAt: r.created_at, expiresAt: r.expires_at });
    }
    return out;
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
