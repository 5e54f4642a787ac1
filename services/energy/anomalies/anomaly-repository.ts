import type { Anomaly } from '../../contracts/energy.ts';
import type { Db } from '../../registry/database.ts';
import type { AnomalyFinding } from './detect.ts';

interface Row {
  id: number; meter_id: string; building_id: string | null; kind: Anomaly['kind']; start: number; end: number; evidence: string;
  state: Anomaly['state']; detected_at: string; updated_at: string; updated_by: string | null;
}

const toAnomaly = (r: Row): Anomaly => ({
  id: r.id, meterId: r.meter_id, buildingId: r.building_id, kind: r.kind, start: new Date(r.start).toISOString(), end: new Date(r.end).toISOString(),
  evidence: JSON.parse(r.evidence) as Anomaly['evidence'], state: r.state, detectedAt: r.detected_at, updatedAt: r.updated_at, updatedBy: r.updated_by,
});

/** Anomalies found, one per meter, kind and start: a scan that finds it again changes nothing. */
export class AnomalyRepository {
  constructor(private readonly db: Db, private readonly now: () => number) {}

  /** Keeps findings not kept yet; a silence still new gets its end moved on. Returns how many are new. */
  record(findings: readonly (AnomalyFinding & { buildingId: string | null })[]): number {
    const ts = new Date(this.now()).toISOString();
    const insert = this.db.prepare(`INSERT OR IGNORE INTO energy_anomalies (meter_id, building_id, kind, start, end, evidence, state, detected_at, updated_at)
                                    VALUES (?, ?, ?, ?, ?, ?, 'new', ?, ?)`);
    const extend = this.db.prepare(`UPDATE energy_anomalies SET end = ?, evidence = ? WHERE meter_id = ? AND kind = ? AND start = ? AND state = 'new'`);
    let added = 0;
    this.db.transaction(() => {
      for (const f of findings) {
        const evidence = JSON.stringify(f.evidence);
        const n = insert.run(f.meterId, f.buildingId, f.kind, f.start, f.end, evidence, ts, ts).changes;
        added += n;
        if (!n && f.kind === 'silent') extend.run(f.end, evidence, f.meterId, f.kind, f.start);
      }
    })();
    return added;
  }

  list(filter: { state?: Anomaly['state'] | undefined; buildingId?: string | undefined; kind?: Anomaly['kind'] | undefined; from?: number; to?: number } = {}): Anomaly[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    const add = (clause: string, arg: string | number) => {
      where.push(clause);
      args.push(arg);
    };
    if (filter.state) add('state = ?', filter.state);
    if (filter.buildingId) add('building_id = ?', filter.buildingId);
    if (filter.kind) add('kind = ?', filter.kind);
    if (filter.from !== undefined) add('start >= ?', filter.from);
    if (filter.to !== undefined) add('start < ?', filter.to);
    const sql = `SELECT * FROM energy_anomalies ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY start DESC, id DESC LIMIT 1000`;
    return (this.db.prepare(sql).all(...args) as Row[]).map(toAnomaly);
  }

  get(id: number): Anomaly | undefined {
    const row = this.db.prepare('SELECT * FROM energy_anomalies WHERE id = ?').get(id) as Row | undefined;
    return row ? toAnomaly(row) : undefined;
  }

  setState(id: number, state: 'acknowledged' | 'resolved', actor: string): Anomaly | undefined {
    this.db.prepare('UPDATE energy_anomalies SET state = ?, updated_at = ?, updated_by = ? WHERE id = ?').run(state, new Date(this.now()).toISOString(), actor, id);
    return this.get(id);
  }
}
