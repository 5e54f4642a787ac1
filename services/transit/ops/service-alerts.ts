/**
 * Service alerts written by dispatchers (`transit_service_alerts`, a shared domain table: every
 * instance of a cluster holds them all in memory, written through, refreshed on notices): notices for
 * riders on routes and stops, in Ukrainian and English, in force from `start` to `end`. They feed
 * `/gtfs-rt/alerts` (and so the stop boards' alerts line). Ending one keeps it, with its end.
 */
import type { ServiceAlert, ServiceAlertBody } from '../../contracts/index.ts';
import { CachedTable, tableChanged, type DomainTables, type SqlValue } from '../../platform/domain-tables.ts';
import type { ServiceAlertInput } from '../realtime/gtfs-rt.ts';

interface Row {
  id: number;
  route_ids: string;
  stop_ids: string;
  start_at: string | null;
  end_at: string | null;
  header_uk: string;
  header_en: string | null;
  description_uk: string | null;
  description_en: string | null;
  created_at: string;
  created_by: string;
  updated_at: string;
  updated_by: string;
}

const TABLE = 'transit_service_alerts';

const iso = (v: string | null): string | null => (v === null ? null : new Date(Date.parse(v)).toISOString());

export class ServiceAlerts extends CachedTable {
  private changes: ServiceAlert[] = [];
  /** every alert's row, by id: `/open` and `/gtfs-rt/alerts` read them on each tick and request */
  private readonly rows = new Map<number, Row>();

  /** Call `load()` before use. `db`: the domain's shared tables (PostgreSQL in a cluster). */
  constructor(db: DomainTables, private readonly now: () => number, onError?: (err: Error) => void) {
    super(db, TABLE, onError);
  }

  protected async reload(ids: string[] | undefined): Promise<void> {
    if (ids === undefined) {
      const rows = (await this.db.query<Row>(`SELECT * FROM ${TABLE}`)).rows;
      this.rows.clear();
      for (const r of rows) this.rows.set(Number(r.id), { ...r, id: Number(r.id) });
      return;
    }
    for (const id of ids.map(Number)) {
      const r = (await this.db.query<Row>(`SELECT * FROM ${TABLE} WHERE id = $1`, [id])).rows[0];
      if (r) this.changed(this.keep(r), this.now());
    }
  }

  /** Alerts created, edited or ended since the last call (the latest state of each), for the `/transit` push. */
  takeChanges(): ServiceAlert[] {
    const latest = new Map(this.changes.map((a) => [a.id, a]));
    this.changes = [];
    return [...latest.values()];
  }

  private keep(r: Row): Row {
    const row = { ...r, id: Number(r.id) };
    this.rows.set(row.id, row);
    return row;
  }

  private changed(r: Row, nowMs: number): ServiceAlert {
    const a = this.out(r, nowMs);
    this.changes.push(a);
    return a;
  }

  private out(r: Row, nowMs: number): ServiceAlert {
    const state = r.end_at && Date.parse(r.end_at) <= nowMs ? 'ended' : r.start_at && Date.parse(r.start_at) > nowMs ? 'upcoming' : 'active';
    return {
      id: r.id, routeIds: JSON.parse(r.route_ids) as string[], stopIds: JSON.parse(r.stop_ids) as string[], start: r.start_at, end: r.end_at,
      header: { uk: r.header_uk, ...(r.header_en ? { en: r.header_en } : {}) },
      ...(r.description_uk ? { description: { uk: r.description_uk, ...(r.description_en ? { en: r.description_en } : {}) } } : {}),
      state, createdAt: r.created_at, createdBy: r.created_by, updatedAt: r.updated_at, updatedBy: r.updated_by,
    };
  }

  get(id: number, nowMs: number): ServiceAlert | undefined {
    const r = this.rows.get(id);
    return r && this.out(r, nowMs);
  }

  /** `current`: active and upcoming; newest first. */
  list(state: 'current' | 'ended' | 'all', nowMs: number): ServiceAlert[] {
    const rows = [...this.rows.values()].sort((a, b) => b.id - a.id);
    return rows.map((r) => this.out(r, nowMs)).filter((a) => state === 'all' || (state === 'ended') === (a.state === 'ended'));
  }

  /** Writes one row in a transaction with its change notice, then keeps it in memory. */
  private async write(sql: string, params: SqlValue[]): Promise<Row | undefined> {
    const row = await this.db.transaction(async (tx) => {
      const r = (await tx.query<Row>(sql, params)).rows[0];
      if (r) await tableChanged(this.db, tx, TABLE, [r.id]);
      return r;
    });
    return row && this.keep(row);
  }

  private static columns(body: ServiceAlertBody): SqlValue[] {
    return [JSON.stringify([...new Set(body.routeIds)]), JSON.stringify([...new Set(body.stopIds)]), iso(body.start), iso(body.end), body.header.uk, body.header.en ?? null,
      body.description?.uk ?? null, body.description?.en ?? null];
  }

  async create(body: ServiceAlertBody, actor: string, nowMs: number): Promise<ServiceAlert> {
    const at = new Date(nowMs).toISOString();
    const r = await this.write(
      `INSERT INTO ${TABLE} (route_ids, stop_ids, start_at, end_at, header_uk, header_en, description_uk, description_en, created_at, created_by, updated_at, updated_by)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING *`,
      [...ServiceAlerts.columns(body), at, actor, at, actor],
    );
    return this.changed(r!, nowMs);
  }

  /** Replaces an alert's content; undefined when there is no such alert. */
  async update(id: number, body: ServiceAlertBody, actor: string, nowMs: number): Promise<ServiceAlert | undefined> {
    const r = await this.write(
      `UPDATE ${TABLE} SET route_ids = $1, stop_ids = $2, start_at = $3, end_at = $4, header_uk = $5, header_en = $6, description_uk = $7, description_en = $8,
        updated_at = $9, updated_by = $10 WHERE id = $11 RETURNING *`,
      [...ServiceAlerts.columns(body), new Date(nowMs).toISOString(), actor, id],
    );
    return r && this.changed(r, nowMs);
  }

  /** Ends an alert now (kept, with its end); an alert already ended is left as it was. Undefined when there is no such alert. */
  async end(id: number, actor: string, nowMs: number): Promise<ServiceAlert | undefined> {
    const at = new Date(nowMs).toISOString();
    // Times are stored as toISOString(), so they compare as text.
    const r = await this.write(`UPDATE ${TABLE} SET end_at = $1, updated_at = $1, updated_by = $2 WHERE id = $3 AND (end_at IS NULL OR end_at > $1) RETURNING *`, [at, actor, id]);
    if (r) return this.changed(r, nowMs);
    const existing = (await this.db.query<Row>(`SELECT * FROM ${TABLE} WHERE id = $1`, [id])).rows[0];
    return existing && this.out(this.keep(existing), nowMs);
  }

  /** What `/gtfs-rt/alerts` publishes: every alert not yet ended (the feed adds the active period). */
  inputs(nowMs: number): ServiceAlertInput[] {
    return this.list('current', nowMs)
      .reverse()
      .map((a) => ({
        id: `service-alert-${a.id}`, routeIds: a.routeIds, stopIds: a.stopIds,
        startMs: a.start === null ? null : Date.parse(a.start), endMs: a.end === null ? null : Date.parse(a.end),
        header: a.header, ...(a.description ? { description: a.description } : {}),
      }));
  }
}
