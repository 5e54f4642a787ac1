import { randomUUID } from 'node:crypto';
import type { CommandState, LightingCommand, LightingCommandRecord } from '../../contracts/index.ts';
import type { Db } from '../../registry/database.ts';

export interface NewCommand { controllerId: string; action: LightingCommand['action']; level: number | null; source: string; expiresAt: number }

export interface CommandRow {
  id: string;
  controller_id: string;
  action: LightingCommand['action'];
  level: number | null;
  source: string;
  state: CommandState;
  created_at: number;
  expires_at: number;
  attempts: number;
  last_sent_at: number | null;
  next_attempt_at: number | null;
  finished_at: number | null;
  detail: string | null;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** Commands are rows of the registry: they survive a restart and their state is what operators see. */
export class CommandTable {
  private readonly latestStmt;
  private readonly openStmt;
  private readonly dueStmt;
  private readonly expireStmt;
  private readonly byIdStmt;
  private readonly supersedeStmt;
  private readonly insertStmt;
  private readonly markSentStmt;
  private readonly markWaitingStmt;
  private readonly markFailedStmt;
  private readonly stateStmt;
  private readonly finishStmt;
  private readonly lateAckStmt;
  /** controllerId → its newest command's id: the scheduler asks every pass, the table only grows */
  private readonly latestIds = new Map<string, string>();
  /**
   * controllerId → its newest command's row as last read, and the row's id → controllerId: the
   * scheduler looks at every cabinet's newest command every pass, and most of them have not
   * changed since. Any write to a command drops its row here (read again when next asked).
   */
  private readonly newestRows = new Map<string, CommandRow>();
  private readonly cachedIds = new Map<string, string>();
  constructor(private readonly db: Db) {
    this.latestStmt = db.prepare('SELECT * FROM lighting_commands WHERE controller_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1');
    this.openStmt = db.prepare(`SELECT * FROM lighting_commands WHERE state IN ('pending', 'sent') ORDER BY created_at, rowid`);
    // The open commands a pass has to look at: pending ones, and sent ones whose ack is overdue.
    // (`state IN` first, so the partial index of open commands serves it.)
    this.dueStmt = db.prepare(
      `SELECT * FROM lighting_commands WHERE state IN ('pending', 'sent') AND (state = 'pending' OR next_attempt_at IS NULL OR next_attempt_at <= ?) ORDER BY created_at, rowid`,
    );
    this.expireStmt = db.prepare(
      `UPDATE lighting_commands SET state = 'expired', finished_at = ?, next_attempt_at = NULL, detail = 'its expiry passed before the cabinet applied it' WHERE state IN ('pending', 'sent') AND expires_at <= ? RETURNING id`,
    );
    this.byIdStmt = db.prepare('SELECT * FROM lighting_commands WHERE id = ?');
    // Statements a group command runs once per cabinet are prepared once.
    this.supersedeStmt = db.prepare(`UPDATE lighting_commands SET state = 'expired', finished_at = ?, detail = ? WHERE controller_id = ? AND state IN ('pending', 'sent')`);
    this.insertStmt = db.prepare(`INSERT INTO lighting_commands (id, controller_id, action, level, source, state, created_at, expires_at) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)`);
    this.markSentStmt = db.prepare(`UPDATE lighting_commands SET state = 'sent', attempts = attempts + 1, last_sent_at = ?, next_attempt_at = ?, detail = NULL WHERE id = ?`);
    this.markWaitingStmt = db.prepare(`UPDATE lighting_commands SET state = 'pending', next_attempt_at = NULL, detail = ? WHERE id = ? AND state IN ('pending', 'sent')`);
    this.markFailedStmt = db.prepare(`UPDATE lighting_commands SET state = 'failed', finished_at = ?, next_attempt_at = NULL, detail = ? WHERE id = ? AND state IN ('pending', 'sent')`);
    this.stateStmt = db.prepare('SELECT state FROM lighting_commands WHERE id = ? AND controller_id = ?');
    this.finishStmt = db.prepare('UPDATE lighting_commands SET state = ?, finished_at = ?, next_attempt_at = NULL, detail = ? WHERE id = ?');
    this.lateAckStmt = db.prepare(`UPDATE lighting_commands SET detail = COALESCE(detail, '') || ? WHERE id = ?`);
    const rows = db.prepare(
      `SELECT c.id, c.controller_id FROM lighting_commands c JOIN (SELECT controller_id, MAX(created_at) AS at FROM lighting_commands GROUP BY controller_id) m
         ON m.controller_id = c.controller_id AND m.at = c.created_at ORDER BY c.rowid`,
    ).all() as { id: string; controller_id: string }[];
    for (const r of rows) this.latestIds.set(r.controller_id, r.id);
  }

  /** A new command; older open commands of the cabinet are superseded (state `expired`). */
  create(c: NewCommand, nowMs: number): CommandRow {
    return this.get(this.createMany([c], nowMs)[0]!)!;
  }

  /**
   * New commands, one per cabinet, in one registry transaction (a group command to thousands of
   * cabinets is one commit, not thousands). Returns their ids, in order.
   */
  createMany(list: readonly NewCommand[], nowMs: number): string[] {
    const ids = list.map(() => randomUUID());
    this.db.transaction(() => {
      list.forEach((c, i) => {
        // the superseded command, if open, is this cabinet's newest so far
        this.forgetRow(this.latestIds.get(c.controllerId));
        this.supersedeStmt.run(nowMs, `superseded by ${ids[i]}`, c.controllerId);
        this.insertStmt.run(ids[i], c.controllerId, c.action, c.level, c.source, nowMs, c.expiresAt);
      });
    })();
    list.forEach((c, i) => this.latestIds.set(c.controllerId, ids[i]!));
    return ids;
  }

  /** Runs `fn` in one registry transaction (the dispatcher's marks of a pass: one commit). */
  batch<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  get(id: string): CommandRow | undefined {
    return this.byIdStmt.get(id) as CommandRow | undefined;
  }

  latest(controllerId: string): CommandRow | undefined {
    return this.latestStmt.get(controllerId) as CommandRow | undefined;
  }

  /**
   * The newest command of a cabinet, by its id kept in memory: its row as last read, or a
   * primary-key read when the command was written since. Do not change the row returned.
   */
  newest(controllerId: string): CommandRow | undefined {
    const id = this.latestIds.get(controllerId);
    if (id === undefined) return undefined;
    const cached = this.newestRows.get(controllerId);
    if (cached?.id === id) return cached;
    if (cached) this.cachedIds.delete(cached.id);
    const row = this.get(id);
    if (row) {
      this.newestRows.set(controllerId, row);
      this.cachedIds.set(id, controllerId);
    } else this.newestRows.delete(controllerId);
    return row;
  }

  /** The id of a cabinet's newest command (in memory), or undefined. */
  newestId(controllerId: string): string | undefined {
    return this.latestIds.get(controllerId);
  }

  /** A command was written: its row, if kept by `newest`, is read again when next asked for. */
  private forgetRow(id: string | undefined): void {
    if (id === undefined) return;
    const controllerId = this.cachedIds.get(id);
    if (controllerId === undefined) return;
    this.cachedIds.delete(id);
    this.newestRows.delete(controllerId);
  }

  open(): CommandRow[] {
    return this.openStmt.all() as CommandRow[];
  }

  /**
   * The open commands a pass acts on at `nowMs`: every pending one, and sent ones whose ack
   * timeout is over. A sent command still within its timeout needs nothing, so a pass right
   * after a group command does not read back the thousands it just sent.
   */
  due(nowMs: number): CommandRow[] {
    return this.dueStmt.all(nowMs) as CommandRow[];
  }

  /** Open commands past their expiry become `expired`; never sent after that. */
  expire(nowMs: number): number {
    const rows = this.expireStmt.all(nowMs, nowMs) as { id: string }[];
    for (const r of rows) this.forgetRow(r.id);
    return rows.length;
  }

  markSent(id: string, nowMs: number, nextAttemptAt: number): void {
    this.forgetRow(id);
    this.markSentStmt.run(nowMs, nextAttemptAt, id);
  }

  markWaiting(id: string, detail: string): void {
    this.forgetRow(id);
    this.markWaitingStmt.run(detail, id);
  }

  markFailed(id: string, nowMs: number, detail: string): void {
    this.forgetRow(id);
    this.markFailedStmt.run(nowMs, detail, id);
  }

  /**
   * A cabinet's `cmd/ack`: an open command becomes `acknowledged` or `rejected`; an ack for a
   * command already over (expired, superseded, failed) is noted on it and changes nothing.
   * Returns the command's state afterwards, or undefined for an unknown command.
   */
  acknowledge(controllerId: string, cmdId: string, status: 'applied' | 'rejected', reason: string | undefined, receivedMs: number): CommandState | undefined {
    const row = this.stateStmt.get(cmdId, controllerId) as { state: CommandState } | undefined;
    if (!row) return undefined;
    this.forgetRow(cmdId);
    if (row.state === 'pending' || row.state === 'sent') {
      const state: CommandState = status === 'applied' ? 'acknowledged' : 'rejected';
      this.finishStmt.run(state, receivedMs, reason ?? null, cmdId);
      return state;
    }
    this.lateAckStmt.run(`; late ack (${status}) at ${new Date(receivedMs).toISOString()}`, cmdId);
    return row.state;
  }

  list(filter: { controllerId?: string | undefined; state?: CommandState | undefined; limit: number }): LightingCommandRecord[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.controllerId) { where.push('controller_id = ?'); args.push(filter.controllerId); }
    if (filter.state) { where.push('state = ?'); args.push(filter.state); }
    const rows = this.db.prepare(`SELECT * FROM lighting_commands ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, rowid DESC LIMIT ?`)
      .all(...args, filter.limit) as CommandRow[];
    return rows.map(toRecord);
  }
}

export function toRecord(r: CommandRow): LightingCommandRecord {
  return {
    cmdId: r.id, controllerId: r.controller_id, action: r.action, level: r.level, source: r.source, state: r.state,
    createdAt: iso(r.created_at)!, expiresAt: iso(r.expires_at)!, attempts: r.attempts, lastSentAt: iso(r.last_sent_at),
    nextAttemptAt: iso(r.next_attempt_at), finishedAt: iso(r.finished_at), detail: r.detail,
  };
}
