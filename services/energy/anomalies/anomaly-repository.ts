import type { Anomaly } from '../../contracts/energy.ts';
import { KeyedCachedTable, tableChanged, type DomainTables } from '../../platform/domain-tables.ts';
import type { AnomalyFinding } from './detect.ts';

interface Row {
  id: number; meter_id: string; building_id: string | null; kind: Anomaly['kind']; start: number; end: number; evidence: string;
  state: Anomaly['state']; detected_at: string; updated_at: string; updated_by: string | null;
}

const TABLE = 'energy_anomalies';

const toAnomaly = (r: Row): Anomaly => ({
  id: Number(r.id), meterId: r.meter_id, buildingId: r.building_id, kind: r.kind, start: new Date(Number(r.start)).toISOString(), end: new Date(Number(r.end)).toISOString(),
  evidence: JSON.parse(r.evidence) as Anomaly['evidence'], state: r.state, detectedAt: r.detected_at, updatedAt: r.updated_at, updatedBy: r.updated_by,
});

/** newest first: by start, then id */
const newestFirst = (a: Anomaly, b: Anomaly): number => Date.parse(b.start) - Date.parse(a.start) || b.id - a.id;

/**
 * Anomalies found, one per meter, kind and start: a scan that finds it again changes nothing.
 * In the shared domain tables (PostgreSQL in a cluster): the lease holder's scans write them, an
 * energy manager on any instance acknowledges them. Every anomaly is held in memory (at most one
 * per meter, kind and day: a city's few thousand a year), written through, and reloaded when
 * another instance changes some. Call `load()` before use.
 */
export class AnomalyRepository extends KeyedCachedTable<number, Row, Anomaly> {
  constructor(db: DomainTables, private readonly now: () => number, onError?: (err: Error) => void) {
    super(db, TABLE, Number, toAnomaly, onError);
  }

  private keep(rows: readonly Row[]): void {
    for (const r of rows) this.byId.set(Number(r.id), toAnomaly(r));
  }

  /** Keeps findings not kept yet; a silence still new gets its end moved on. Returns how many are new. */
  async record(findings: readonly (AnomalyFinding & { buildingId: string | null })[]): Promise<number> {
    if (findings.length === 0) return 0;
    const ts = new Date(this.now()).toISOString();
    const { added, changed } = await this.db.transaction(async (tx) => {
      const rows: Row[] = [];
      let n = 0;
      for (const f of findings) {
        const evidence = JSON.stringify(f.evidence);
        const inserted = (await tx.query<Row>(`INSERT INTO ${TABLE} (meter_id, building_id, kind, start, "end", evidence, state, detected_at, updated_at)
          VALUES ($1, $2, $3, $4, $5, $6, 'new', $7, $7) ON CONFLICT DO NOTHING RETURNING *`, [f.meterId, f.buildingId, f.kind, f.start, f.end, evidence, ts])).rows;
        n += inserted.length;
        rows.push(...inserted);
        if (!inserted.length && f.kind === 'silent') {
          rows.push(...(await tx.query<Row>(`UPDATE ${TABLE} SET "end" = $1, evidence = $2 WHERE meter_id = $3 AND kind = $4 AND start = $5 AND state = 'new' RETURNING *`,
            [f.end, evidence, f.meterId, f.kind, f.start])).rows);
        }
      }
      if (rows.length) await tableChanged(this.db, tx, TABLE, rows.map((r) => r.id));
      return { added: n, changed: rows };
    });
    this.keep(changed);
    return added;
  }

  /** Newest first, at most 1000. */
  list(filter: { state?: Anomaly['state'] | undefined; buildingId?: string | undefined; kind?: Anomaly['kind'] | undefined; from?: number; to?: number } = {}): Anomaly[] {
    const out: Anomaly[] = [];
    for (const a of this.byId.values()) {
      if (filter.state && a.state !== filter.state) continue;
      if (filter.buildingId && a.buildingId !== filter.buildingId) continue;
      if (filter.kind && a.kind !== filter.kind) continue;
      const start = Date.parse(a.start);
      if (filter.from !== undefined && start < filter.from) continue;
      if (filter.to !== undefined && start >= filter.to) continue;
      out.push(a);
    }
    return out.sort(newestFirst).slice(0, 1000);
  }

  get(id: number): Anomaly | undefined {
    return this.byId.get(id);
  }

  /** Acknowledges or resolves; a resolved anomaly stays resolved (undefined then, as for an unknown id). */
  async setState(id: number, state: 'acknowledged' | 'resolved', actor: string): Promise<Anomaly | undefined> {
    const row = await this.db.transaction(async (tx) => {
      const r = (await tx.query<Row>(`UPDATE ${TABLE} SET state = $1, updated_at = $2, updated_by = $3 WHERE id = $4 AND state <> 'resolved' RETURNING *`,
        [state, new Date(this.now()).toISOString(), actor, id])).rows[0];
      if (r) await tableChanged(this.db, tx, TABLE, [r.id]);
      return r;
    });
    if (row) this.keep([row]);
    return row && toAnomaly(row);
  }
}
