/**
 * Operations alerts kept in the registry (`transit_ops_alerts`, every alert with its history):
 * evaluated from the engine's state every few seconds, raised when a condition starts, cleared
 * when it has ended, acknowledged by a dispatcher. Changes are queued for the `/transit` push.
 */
import type { OpsAlert, OpsAlertKind } from '../../contracts/index.ts';
import type { Db } from '../../registry/database.ts';
import type { VehicleTripState } from '../realtime/engine.ts';
import { DEFAULT_THRESHOLDS, detectConditions, reconcile, type OpsThresholds, type UnservedTrip } from './detect.ts';

interface Row {
  id: number;
  key: string;
  kind: string;
  vehicle_id: string | null;
  trip_id: string | null;
  route_id: string | null;
  value: number;
  message: string;
  raised_at: string;
  last_seen_at: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  cleared_at: string | null;
}

const toAlert = (r: Row): OpsAlert => ({
  id: r.id, kind: r.kind as OpsAlertKind, state: r.cleared_at ? 'cleared' : r.acknowledged_at ? 'acknowledged' : 'open',
  vehicleId: r.vehicle_id, tripId: r.trip_id, routeId: r.route_id, value: r.value, message: r.message,
  raisedAt: r.raised_at, lastSeenAt: r.last_seen_at, acknowledgedAt: r.acknowledged_at, acknowledgedBy: r.acknowledged_by, clearedAt: r.cleared_at,
});

export class OpsAlertError extends Error {
  constructor(readonly statusCode: 404 | 409, message: string) {
    super(message);
  }
}

export interface OpsSource {
  states(): readonly VehicleTripState[];
  unserved(nowMs: number): readonly UnservedTrip[];
}

export class OpsAlerts {
  private changes: OpsAlert[] = [];

  constructor(private readonly db: Db, private readonly source: OpsSource, private readonly thresholds: OpsThresholds = DEFAULT_THRESHOLDS) {}

  /** Raises, refreshes and clears alerts from the conditions at `nowMs`. */
  evaluate(nowMs: number): void {
    const conditions = detectConditions(this.source.states(), this.source.unserved(nowMs), nowMs, this.thresholds);
    const openRows = this.db.prepare('SELECT * FROM transit_ops_alerts WHERE cleared_at IS NULL').all() as Row[];
    const byKey = new Map(openRows.map((r) => [r.key, r]));
    const { raise, keep, clear } = reconcile(new Map(openRows.map((r) => [r.key, Date.parse(r.last_seen_at)])), conditions, nowMs);
    if (!raise.length && !keep.length && !clear.length) return;
    const iso = new Date(nowMs).toISOString();
    const changedIds: number[] = [];
    this.db.transaction(() => {
      const ins = this.db.prepare(`INSERT INTO transit_ops_alerts (key, kind, vehicle_id, trip_id, route_id, value, message, raised_at, last_seen_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
      for (const c of raise) changedIds.push(Number(ins.run(c.key, c.kind, c.vehicleId, c.tripId, c.routeId, c.value, c.message, iso, iso).lastInsertRowid));
      const upd = this.db.prepare('UPDATE transit_ops_alerts SET value = ?, message = ?, last_seen_at = ? WHERE id = ?');
      for (const c of keep) upd.run(c.value, c.message, iso, byKey.get(c.key)!.id);
      const clr = this.db.prepare('UPDATE transit_ops_alerts SET cleared_at = ? WHERE id = ?');
      for (const k of clear) {
        clr.run(iso, byKey.get(k)!.id);
        changedIds.push(byKey.get(k)!.id);
      }
    })();
    for (const id of changedIds) this.changes.push(this.get(id)!);
  }

  get(id: number): OpsAlert | undefined {
    const r = this.db.prepare('SELECT * FROM transit_ops_alerts WHERE id = ?').get(id) as Row | undefined;
    return r && toAlert(r);
  }

  /** Newest first. `active`: open and acknowledged. */
  list(state: 'active' | 'open' | 'acknowledged' | 'cleared' | 'all', limit = 200): OpsAlert[] {
    const where = {
      active: 'cleared_at IS NULL',
      open: 'cleared_at IS NULL AND acknowledged_at IS NULL',
      acknowledged: 'cleared_at IS NULL AND acknowledged_at IS NOT NULL',
      cleared: 'cleared_at IS NOT NULL',
      all: '1 = 1',
    }[state];
    return (this.db.prepare(`SELECT * FROM transit_ops_alerts WHERE ${where} ORDER BY raised_at DESC, id DESC LIMIT ?`).all(limit) as Row[]).map(toAlert);
  }

  /** A dispatcher saw it. Acknowledging twice keeps the first; a cleared alert cannot be. */
  ack(id: number, actor: string, nowMs: number): OpsAlert {
    const a = this.get(id);
    if (!a) throw new OpsAlertError(404, `no operations alert ${id}`);
    if (a.state === 'cleared') throw new OpsAlertError(409, `operations alert ${id} was cleared at ${a.clearedAt}: its cause ended`);
    if (a.state === 'acknowledged') return a;
    this.db.prepare('UPDATE transit_ops_alerts SET acknowledged_at = ?, acknowledged_by = ? WHERE id = ?').run(new Date(nowMs).toISOString(), actor, id);
    const out = this.get(id)!;
    this.changes.push(out);
    return out;
  }

  /** Alerts raised, acknowledged or cleared since the last call (the latest state of each). */
  takeChanges(): OpsAlert[] {
    const latest = new Map(this.changes.map((a) => [a.id, a]));
    this.changes = [];
    return [...latest.values()];
  }
}
