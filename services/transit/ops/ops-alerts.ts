/**
 * Operations alerts kept in a shared domain table (`transit_ops_alerts`, every alert with its
 * history; PostgreSQL in a cluster, read where they are asked for):
 * evaluated from the engine's state every few seconds, raised when a condition starts, cleared
 * when it has ended, acknowledged by a dispatcher. Changes are queued for the `/transit` push.
 */
import type { OpsAlert, OpsAlertKind } from '../../contracts/index.ts';
import { onTableChange, tableChanged, type DomainTables } from '../../platform/domain-tables.ts';
import type { VehicleTripState } from '../realtime/engine.ts';
import { DEFAULT_THRESHOLDS, detectConditions, reconcile, type OpsThresholds, type UnservedTrip } from './detect.ts';

const TABLE = 'transit_ops_alerts';

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
  private following: { stop: () => void; settled: () => Promise<void> } | undefined;
  private evaluating = false;

  /** `db`: the domain's shared tables (PostgreSQL in a cluster). */
  constructor(
    private readonly db: DomainTables, private readonly source: OpsSource, private readonly thresholds: OpsThresholds = DEFAULT_THRESHOLDS,
    private readonly onError: (err: Error) => void = () => {},
  ) {}

  /**
   * Follows the changes other instances make (the lease holder's evaluation, a dispatcher's
   * acknowledgement elsewhere), so this instance's `/transit` sockets are told of them too.
   */
  follow(): void {
    this.following ??= onTableChange(this.db, TABLE, async (ids) => {
      for (const id of ids ?? []) {
        const a = await this.get(Number(id));
        if (a) this.changes.push(a);
      }
    }, this.onError);
  }

  /** Resolves once the other instances' changes heard so far were read. */
  settled(): Promise<void> {
    return this.following?.settled() ?? Promise.resolve();
  }

  close(): void {
    this.following?.stop();
  }

  /** Raises, refreshes and clears alerts from the conditions at `nowMs`. One evaluation at a time. */
  async evaluate(nowMs: number): Promise<void> {
    if (this.evaluating) return;
    this.evaluating = true;
    try {
      const conditions = detectConditions(this.source.states(), this.source.unserved(nowMs), nowMs, this.thresholds);
      const openRows = (await this.db.query<Row>(`SELECT * FROM ${TABLE} WHERE cleared_at IS NULL`)).rows;
      const byKey = new Map(openRows.map((r) => [r.key, r]));
      const { raise, keep, clear } = reconcile(new Map(openRows.map((r) => [r.key, Date.parse(r.last_seen_at)])), conditions, nowMs);
      if (!raise.length && !keep.length && !clear.length) return;
      const iso = new Date(nowMs).toISOString();
      const changed = await this.db.transaction(async (tx) => {
        const out: Row[] = [];
        for (const c of raise) {
          out.push((await tx.query<Row>(`INSERT INTO ${TABLE} (key, kind, vehicle_id, trip_id, route_id, value, message, raised_at, last_seen_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`, [c.key, c.kind, c.vehicleId, c.tripId, c.routeId, c.value, c.message, iso, iso])).rows[0]!);
        }
        for (const c of keep) await tx.query(`UPDATE ${TABLE} SET value = $1, message = $2, last_seen_at = $3 WHERE id = $4`, [c.value, c.message, iso, byKey.get(c.key)!.id]);
        for (const k of clear) out.push((await tx.query<Row>(`UPDATE ${TABLE} SET cleared_at = $1 WHERE id = $2 RETURNING *`, [iso, byKey.get(k)!.id])).rows[0]!);
        if (out.length) await tableChanged(this.db, tx, TABLE, out.map((r) => r.id));
        return out;
      });
      for (const r of changed) this.changes.push(toAlert(r));
    } finally {
      this.evaluating = false;
    }
  }

  async get(id: number): Promise<OpsAlert | undefined> {
    const r = (await this.db.query<Row>(`SELECT * FROM ${TABLE} WHERE id = $1`, [id])).rows[0];
    return r && toAlert(r);
  }

  /** Newest first. `active`: open and acknowledged. */
  async list(state: 'active' | 'open' | 'acknowledged' | 'cleared' | 'all', limit = 200): Promise<OpsAlert[]> {
    const where = {
      active: 'cleared_at IS NULL',
      open: 'cleared_at IS NULL AND acknowledged_at IS NULL',
      acknowledged: 'cleared_at IS NULL AND acknowledged_at IS NOT NULL',
      cleared: 'cleared_at IS NOT NULL',
      all: '1 = 1',
    }[state];
    return (await this.db.query<Row>(`SELECT * FROM ${TABLE} WHERE ${where} ORDER BY raised_at DESC, id DESC LIMIT $1`, [limit])).rows.map(toAlert);
  }

  /** A dispatcher saw it. Acknowledging twice keeps the first; a cleared alert cannot be. */
  async ack(id: number, actor: string, nowMs: number): Promise<OpsAlert> {
    // One statement decides, so two instances acknowledging at once keep the first.
    const row = await this.db.transaction(async (tx) => {
      const r = (await tx.query<Row>(`UPDATE ${TABLE} SET acknowledged_at = $1, acknowledged_by = $2 WHERE id = $3 AND cleared_at IS NULL AND acknowledged_at IS NULL RETURNING *`,
        [new Date(nowMs).toISOString(), actor, id])).rows[0];
      if (r) await tableChanged(this.db, tx, TABLE, [r.id]);
      return r;
    });
    if (row) {
      const out = toAlert(row);
      this.changes.push(out);
      return out;
    }
    const a = await this.get(id);
    if (!a) throw new OpsAlertError(404, `no operations alert ${id}`);
    if (a.state === 'cleared') throw new OpsAlertError(409, `operations alert ${id} was cleared at ${a.clearedAt}: its cause ended`);
    return a;
  }

  /** Alerts raised, acknowledged or cleared since the last call (the latest state of each). */
  takeChanges(): OpsAlert[] {
    const latest = new Map(this.changes.map((a) => [a.id, a]));
    this.changes = [];
    return [...latest.values()];
  }
}
