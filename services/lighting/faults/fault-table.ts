import { DEFAULT_FAULT_SETTINGS, FaultSettings, type FaultCode, type LightingFault } from '../../contracts/index.ts';
import { CachedTable, tableChanged, type DomainTables, type SqlValue } from '../../platform/domain-tables.ts';
import type { FaultFinding } from './evaluate.ts';

interface Row {
  id: number; controller_id: string; code: FaultCode; lamp_id: string; detail: string | null;
  raised_at: number; acked_at: number | null; acked_by: string | null; cleared_at: number | null;
}

/** One notice name for the faults, their settings and the ratings (a notice with fault ids, or none: reload it all). */
const TABLE = 'lighting_faults';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const keyOf = (code: string, lampId: string) => `${code}|${lampId}`;

/**
 * Faults with their history: a row is raised, maybe acknowledged, and cleared when the fault is
 * gone. In the shared domain tables (PostgreSQL in a cluster): the dispatch lease holder's sweep
 * raises and clears them; any instance acknowledges one (REST). Held in memory on each instance:
 * the active faults (a cabinet's live state shows their codes; the sweep writes only changes),
 * the thresholds and the ratings (the sweep reads them); the history is read per request.
 * Call `load()` before use.
 */
export class FaultTable extends CachedTable {
  /** controllerId → active fault keys → row id, mirrored from the table */
  private readonly active = new Map<string, Map<string, number>>();
  private settingsNow: FaultSettings = DEFAULT_FAULT_SETTINGS;
  private ratingsNow = new Map<string, number>();

  constructor(db: DomainTables, onRemoteChange?: () => void, onError?: (err: Error) => void) {
    super(db, TABLE, onError, onRemoteChange);
  }

  protected async reload(ids: string[] | undefined): Promise<void> {
    if (ids === undefined) {
      const rows = (await this.db.query<Row>(`SELECT id, controller_id, code, lamp_id FROM ${TABLE} WHERE cleared_at IS NULL`)).rows;
      this.active.clear();
      for (const r of rows) this.activeOf(r.controller_id).set(keyOf(r.code, r.lamp_id), r.id);
      const s = (await this.db.query<{ value: string }>(`SELECT value FROM lighting_settings WHERE key = 'faults'`)).rows[0];
      this.settingsNow = s ? FaultSettings.parse(JSON.parse(s.value)) : DEFAULT_FAULT_SETTINGS;
      const ratings = (await this.db.query<{ controller_id: string; rated_w: number }>('SELECT controller_id, rated_w FROM lighting_ratings')).rows;
      this.ratingsNow = new Map(ratings.map((r) => [r.controller_id, r.rated_w]));
      return;
    }
    for (const id of ids) {
      const r = (await this.db.query<Row>(`SELECT id, controller_id, code, lamp_id, cleared_at FROM ${TABLE} WHERE id = $1`, [Number(id)])).rows[0];
      if (!r) continue;
      const current = this.activeOf(r.controller_id);
      const key = keyOf(r.code, r.lamp_id);
      if (r.cleared_at === null) current.set(key, r.id);
      else if (current.get(key) === r.id) current.delete(key);
    }
  }

  private activeOf(controllerId: string): Map<string, number> {
    let m = this.active.get(controllerId);
    if (!m) this.active.set(controllerId, (m = new Map()));
    return m;
  }

  /** Raises what is new and clears what is gone (one transaction, one notice); returns how many rows changed. */
  async reconcile(controllerId: string, findings: readonly FaultFinding[], nowMs: number): Promise<{ raised: number; cleared: number }> {
    const current = this.activeOf(controllerId);
    const found = new Map(findings.map((f) => [keyOf(f.code, f.lampId), f]));
    const toClear = [...current.entries()].filter(([k]) => !found.has(k));
    const toRaise = [...found.entries()].filter(([k]) => !current.has(k));
    if (!toClear.length && !toRaise.length) return { raised: 0, cleared: 0 };
    const raisedIds = await this.db.transaction(async (tx) => {
      const changed: number[] = [];
      for (const [, id] of toClear) {
        await tx.query(`UPDATE ${TABLE} SET cleared_at = $1 WHERE id = $2`, [nowMs, id]);
        changed.push(id);
      }
      const raised: [string, number][] = [];
      for (const [k, f] of toRaise) {
        const r = (await tx.query<{ id: number }>(
          `INSERT INTO ${TABLE} (controller_id, code, lamp_id, detail, raised_at) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
          [controllerId, f.code, f.lampId, f.detail, nowMs],
        )).rows[0]!;
        raised.push([k, r.id]);
        changed.push(r.id);
      }
      await tableChanged(this.db, tx, TABLE, changed);
      return raised;
    });
    for (const [k] of toClear) current.delete(k);
    for (const [k, id] of raisedIds) current.set(k, id);
    return { raised: toRaise.length, cleared: toClear.length };
  }

  /** Active fault codes of a cabinet, for its live state. */
  codesOf(controllerId: string): string[] {
    return [...new Set([...(this.active.get(controllerId)?.keys() ?? [])].map((k) => k.split('|')[0]!))].sort();
  }

  /** Acknowledges a fault once (the first acknowledgement, from any instance, stays). */
  async acknowledge(id: number, actor: string, nowMs: number): Promise<LightingFault | undefined> {
    await this.db.query(`UPDATE ${TABLE} SET acked_at = $1, acked_by = $2 WHERE id = $3 AND acked_at IS NULL`, [nowMs, actor, id]);
    return this.get(id);
  }

  async get(id: number): Promise<LightingFault | undefined> {
    const r = (await this.db.query<Row>(`SELECT * FROM ${TABLE} WHERE id = $1`, [id])).rows[0];
    return r && toFault(r);
  }

  async list(filter: { active?: boolean | undefined; controllerId?: string | undefined; limit: number }): Promise<LightingFault[]> {
    const where: string[] = [];
    const args: SqlValue[] = [];
    if (filter.active === true) where.push('cleared_at IS NULL');
    if (filter.active === false) where.push('cleared_at IS NOT NULL');
    if (filter.controllerId) {
      args.push(filter.controllerId);
      where.push(`controller_id = $${args.length}`);
    }
    args.push(filter.limit);
    const rows = (await this.db.query<Row>(
      `SELECT * FROM ${TABLE} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY raised_at DESC, id DESC LIMIT $${args.length}`, args,
    )).rows;
    return rows.map(toFault);
  }

  settings(): FaultSettings {
    return this.settingsNow;
  }

  async putSettings(s: FaultSettings): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(`INSERT INTO lighting_settings (key, value) VALUES ('faults', $1) ON CONFLICT (key) DO UPDATE SET value = $1`, [JSON.stringify(s)]);
      await tableChanged(this.db, tx, TABLE);
    });
    this.settingsNow = s;
  }

  /** A cabinet's power at full level, if set. */
  ratingOf(controllerId: string): number | undefined {
    return this.ratingsNow.get(controllerId);
  }

  async putRating(controllerId: string, ratedW: number): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query('INSERT INTO lighting_ratings (controller_id, rated_w) VALUES ($1, $2) ON CONFLICT (controller_id) DO UPDATE SET rated_w = $2', [controllerId, ratedW]);
      await tableChanged(this.db, tx, TABLE);
    });
    this.ratingsNow.set(controllerId, ratedW);
  }
}

function toFault(r: Row): LightingFault {
  return {
    id: r.id, controllerId: r.controller_id, code: r.code, lampId: r.lamp_id || null, detail: r.detail,
    raisedAt: iso(r.raised_at)!, ackedAt: iso(r.acked_at), ackedBy: r.acked_by, clearedAt: iso(r.cleared_at),
  };
}
