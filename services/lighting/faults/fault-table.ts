import { DEFAULT_FAULT_SETTINGS, FaultSettings, type FaultCode, type LightingFault } from '../../contracts/index.ts';
import type { Db } from '../../registry/database.ts';
import type { FaultFinding } from './evaluate.ts';

interface Row {
  id: number; controller_id: string; code: FaultCode; lamp_id: string; detail: string | null;
  raised_at: number; acked_at: number | null; acked_by: string | null; cleared_at: number | null;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const keyOf = (code: string, lampId: string) => `${code}|${lampId}`;

/** Faults with their history: a row is raised, maybe acknowledged, and cleared when the fault is gone. */
export class FaultTable {
  /** controllerId → active fault keys, mirrored from the table so a sweep writes only changes */
  private readonly active = new Map<string, Map<string, number>>();

  constructor(private readonly db: Db) {
    for (const r of db.prepare('SELECT id, controller_id, code, lamp_id FROM lighting_faults WHERE cleared_at IS NULL').all() as Row[]) {
      this.activeOf(r.controller_id).set(keyOf(r.code, r.lamp_id), r.id);
    }
  }

  private activeOf(controllerId: string): Map<string, number> {
    let m = this.active.get(controllerId);
    if (!m) this.active.set(controllerId, (m = new Map()));
    return m;
  }

  /** Raises what is new and clears what is gone; returns how many rows changed. */
  reconcile(controllerId: string, findings: readonly FaultFinding[], nowMs: number): { raised: number; cleared: number } {
    const current = this.activeOf(controllerId);
    const found = new Map(findings.map((f) => [keyOf(f.code, f.lampId), f]));
    const toClear = [...current.entries()].filter(([k]) => !found.has(k));
    const toRaise = [...found.entries()].filter(([k]) => !current.has(k));
    if (!toClear.length && !toRaise.length) return { raised: 0, cleared: 0 };
    this.db.transaction(() => {
      const clear = this.db.prepare('UPDATE lighting_faults SET cleared_at = ? WHERE id = ?');
      for (const [k, id] of toClear) {
        clear.run(nowMs, id);
        current.delete(k);
      }
      const raise = this.db.prepare('INSERT INTO lighting_faults (controller_id, code, lamp_id, detail, raised_at) VALUES (?, ?, ?, ?, ?)');
      for (const [k, f] of toRaise) current.set(k, Number(raise.run(controllerId, f.code, f.lampId, f.detail, nowMs).lastInsertRowid));
    })();
    return { raised: toRaise.length, cleared: toClear.length };
  }

  /** Active fault codes of a cabinet, for its live state. */
  codesOf(controllerId: string): string[] {
    return [...new Set([...(this.active.get(controllerId)?.keys() ?? [])].map((k) => k.split('|')[0]!))].sort();
  }

  acknowledge(id: number, actor: string, nowMs: number): LightingFault | undefined {
    this.db.prepare('UPDATE lighting_faults SET acked_at = ?, acked_by = ? WHERE id = ? AND acked_at IS NULL').run(nowMs, actor, id);
    return this.get(id);
  }

  get(id: number): LightingFault | undefined {
    const r = this.db.prepare('SELECT * FROM lighting_faults WHERE id = ?').get(id) as Row | undefined;
    return r && toFault(r);
  }

  list(filter: { active?: boolean | undefined; controllerId?: string | undefined; limit: number }): LightingFault[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.active === true) where.push('cleared_at IS NULL');
    if (filter.active === false) where.push('cleared_at IS NOT NULL');
    if (filter.controllerId) { where.push('controller_id = ?'); args.push(filter.controllerId); }
    const rows = this.db.prepare(`SELECT * FROM lighting_faults ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY raised_at DESC, id DESC LIMIT ?`).all(...args, filter.limit) as Row[];
    return rows.map(toFault);
  }

  settings(): FaultSettings {
    const row = this.db.prepare(`SELECT value FROM lighting_settings WHERE key = 'faults'`).get() as { value: string } | undefined;
    return row ? FaultSettings.parse(JSON.parse(row.value)) : DEFAULT_FAULT_SETTINGS;
  }

  putSettings(s: FaultSettings): void {
    this.db.prepare(`INSERT INTO lighting_settings (key, value) VALUES ('faults', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(JSON.stringify(s));
  }

  ratings(): Map<string, number> {
    const rows = this.db.prepare('SELECT controller_id, rated_w FROM lighting_ratings').all() as { controller_id: string; rated_w: number }[];
    return new Map(rows.map((r) => [r.controller_id, r.rated_w]));
  }

  putRating(controllerId: string, ratedW: number): void {
    this.db.prepare('INSERT INTO lighting_ratings (controller_id, rated_w) VALUES (?, ?) ON CONFLICT (controller_id) DO UPDATE SET rated_w = excluded.rated_w').run(controllerId, ratedW);
  }
}

function toFault(r: Row): LightingFault {
  return {
    id: r.id, controllerId: r.controller_id, code: r.code, lampId: r.lamp_id || null, detail: r.detail,
    raisedAt: iso(r.raised_at)!, ackedAt: iso(r.acked_at), ackedBy: r.acked_by, clearedAt: iso(r.cleared_at),
  };
}
