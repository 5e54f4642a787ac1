/**
 * Service alerts written by dispatchers (`transit_service_alerts` in the registry): notices for
 * riders on routes and stops, in Ukrainian and English, in force from `start` to `end`. They feed
 * `/gtfs-rt/alerts` (and so the stop boards' alerts line). Ending one keeps it, with its end.
 */
import type { ServiceAlert, ServiceAlertBody } from '../../contracts/index.ts';
import type { Db } from '../../registry/database.ts';
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

const iso = (v: string | null): string | null => (v === null ? null : new Date(Date.parse(v)).toISOString());

export class ServiceAlerts {
  private changes: ServiceAlert[] = [];

  constructor(private readonly db: Db) {}

  /** Alerts created, edited or ended since the last call (the latest state of each), for the `/transit` push. */
  takeChanges(): ServiceAlert[] {
    const latest = new Map(this.changes.map((a) => [a.id, a]));
    this.changes = [];
    return [...latest.values()];
  }

  private changed(a: ServiceAlert): ServiceAlert {
    this.changes.push(a);
    return a;
  }

  private row(id: number): Row | undefined {
    return this.db.prepare('SELECT * FROM transit_service_alerts WHERE id = ?').get(id) as Row | undefined;
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
    const r = this.row(id);
    return r && this.out(r, nowMs);
  }

  /** `current`: active and upcoming; newest first. */
  list(state: 'current' | 'ended' | 'all', nowMs: number): ServiceAlert[] {
    const rows = this.db.prepare('SELECT * FROM transit_service_alerts ORDER BY id DESC').all() as Row[];
    return rows.map((r) => this.out(r, nowMs)).filter((a) => state === 'all' || (state === 'ended') === (a.state === 'ended'));
  }

  create(body: ServiceAlertBody, actor: string, nowMs: number): ServiceAlert {
    const at = new Date(nowMs).toISOString();
    const id = Number(
      this.db
        .prepare(`INSERT INTO transit_service_alerts (route_ids, stop_ids, start_at, end_at, header_uk, header_en, description_uk, description_en, created_at, created_by, updated_at, updated_by)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(JSON.stringify([...new Set(body.routeIds)]), JSON.stringify([...new Set(body.stopIds)]), iso(body.start), iso(body.end), body.header.uk, body.header.en ?? null,
          body.description?.uk ?? null, body.description?.en ?? null, at, actor, at, actor).lastInsertRowid,
    );
    return this.changed(this.get(id, nowMs)!);
  }

  /** Replaces an alert's content; undefined when there is no such alert. */
  update(id: number, body: ServiceAlertBody, actor: string, nowMs: number): ServiceAlert | undefined {
    if (!this.row(id)) return undefined;
    this.db
      .prepare(`UPDATE transit_service_alerts SET route_ids = ?, stop_ids = ?, start_at = ?, end_at = ?, header_uk = ?, header_en = ?, description_uk = ?, description_en = ?,
        updated_at = ?, updated_by = ? WHERE id = ?`)
      .run(JSON.stringify([...new Set(body.routeIds)]), JSON.stringify([...new Set(body.stopIds)]), iso(body.start), iso(body.end), body.header.uk, body.header.en ?? null,
        body.description?.uk ?? null, body.description?.en ?? null, new Date(nowMs).toISOString(), actor, id);
    return this.changed(this.get(id, nowMs)!);
  }

  /** Ends an alert now (kept, with its end); an alert already ended is left as it was. Undefined when there is no such alert. */
  end(id: number, actor: string, nowMs: number): ServiceAlert | undefined {
    const r = this.row(id);
    if (!r) return undefined;
    if (!r.end_at || Date.parse(r.end_at) > nowMs) {
      const at = new Date(nowMs).toISOString();
      this.db.prepare('UPDATE transit_service_alerts SET end_at = ?, updated_at = ?, updated_by = ? WHERE id = ?').run(at, at, actor, id);
      return this.changed(this.get(id, nowMs)!);
    }
    return this.get(id, nowMs);
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
