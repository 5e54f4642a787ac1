import { randomUUID } from 'node:crypto';
import type { CommandState, LightingCommand, LightingCommandRecord } from '../../contracts/index.ts';
import { asBigint, asIs, bulkParts, inList, onTableChange, tableChanged, valuesList, type DomainTables, type RegistrySql, type SqlValue } from '../../platform/domain-tables.ts';

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

/** A cabinet's answer to a command, as `acknowledge` takes it (a `cmd/ack`, or an OPC UA read-back). */
export interface CommandAnswer {
  controllerId: string;
  cmdId: string;
  status: 'applied' | 'rejected';
  reason: string | undefined;
  receivedMs: number;
}

/** What a dispatcher pass decided for one command; written together by `writeMarks`. */
export type CommandMark =
  | { kind: 'sent'; id: string; nextAttemptAt: number }
  | { kind: 'waiting'; id: string; detail: string }
  | { kind: 'failed'; id: string; detail: string };

/** The table's name in change notices: the acks' transaction names the commands it settled. */
export const COMMANDS_TABLE = 'lighting_commands';

const OPEN = `state IN ('pending', 'sent')`;

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * Commands with their delivery state: a shared table (`DomainContext.tables`: PostgreSQL with
 * DATABASE_URL, else the instance's SQLite file), so the state survives a restart and a lease
 * handover, and every instance lists the same commands.
 *
 * Commands are made, sent and expired by the `lighting:dispatch` lease holder only; an answer is
 * written by the instance that received it (`acknowledge`, before the cabinet's PUBACK). The holder
 * keeps every cabinet's newest command in memory (`newest`, read by every pass): each write marks
 * the rows it touched, here or (by the change notices) on another instance, to be read again by
 * the next `refresh`. Every decision that matters is also a condition of its `UPDATE … WHERE
 * state IN ('pending', 'sent')`, so an answer landing between a read and a write is never undone.
 *
 * At most one command of a cabinet is open (`pending` or `sent`): a new one supersedes the rest.
 */
export class CommandTable {
  /** controllerId → its newest command's id; made only by the holder, loaded when it takes over */
  private readonly latestIds = new Map<string, string>();
  /** command id → controllerId, for the newest commands */
  private readonly controllerOf = new Map<string, string>();
  /** controllerId → its newest command's row as last read */
  private readonly newestRows = new Map<string, CommandRow>();
  /** cabinets whose newest row was written since it was read */
  private readonly stale = new Set<string>();
  private following: ReturnType<typeof onTableChange> | undefined;
  /** while `load` reads: the commands other instances wrote meanwhile (true: any), marked once it is done */
  private writtenDuringLoad: Set<string> | true | undefined;

  constructor(private readonly db: DomainTables, private readonly onError: (err: Error) => void = () => {}) {}

  /**
   * Reads every cabinet's newest command into memory and follows the other instances' writes.
   * The lease holder runs it whenever it takes the lease (the holder before may have made commands
   * this instance never saw).
   */
  async load(): Promise<void> {
    this.following ??= onTableChange(this.db, COMMANDS_TABLE, (ids) => this.markStale(ids), this.onError);
    this.writtenDuringLoad = new Set();
    try {
      // The newest per cabinet; created_at is unique per cabinet (`createMany` keeps it increasing).
      const { rows } = await this.db.query<CommandRow>(
        `SELECT c.* FROM lighting_commands c JOIN (SELECT controller_id, MAX(created_at) AS at FROM lighting_commands GROUP BY controller_id) m
           ON m.controller_id = c.controller_id AND m.at = c.created_at`,
      );
      this.latestIds.clear();
      this.controllerOf.clear();
      this.newestRows.clear();
      this.stale.clear();
      for (const r of rows) this.remember(r);
    } finally {
      // a write noticed while the rows were read may have come after its row was read
      // (markStale may have set it to true meanwhile: the narrowing above does not see that)
      const written = this.writtenDuringLoad as Set<string> | true;
      this.writtenDuringLoad = undefined;
      this.markStale(written === true ? undefined : [...written]);
    }
  }

  close(): void {
    this.following?.stop();
  }

  private remember(row: CommandRow): void {
    const previous = this.latestIds.get(row.controller_id);
    if (previous !== undefined && previous !== row.id) this.controllerOf.delete(previous);
    this.latestIds.set(row.controller_id, row.id);
    this.controllerOf.set(row.id, row.controller_id);
    this.newestRows.set(row.controller_id, row);
    this.stale.delete(row.controller_id);
  }

  /** Commands written (ids; undefined: any): their rows are read again by the next `refresh`. */
  private markStale(ids: readonly string[] | undefined): void {
    if (this.writtenDuringLoad !== undefined) {
      if (ids === undefined) this.writtenDuringLoad = true;
      else if (this.writtenDuringLoad !== true) for (const id of ids) this.writtenDuringLoad.add(id);
    }
    if (ids === undefined) {
      for (const controllerId of this.latestIds.keys()) this.stale.add(controllerId);
      return;
    }
    for (const id of ids) {
      const controllerId = this.controllerOf.get(id);
      if (controllerId !== undefined) this.stale.add(controllerId);
    }
  }

  /** Reads again the newest rows written since they were read: a few queries, however many. */
  async refresh(): Promise<void> {
    if (!this.stale.size) return;
    const ids = [...this.stale].map((controllerId) => this.latestIds.get(controllerId)!);
    this.stale.clear();
    for (const part of bulkParts(ids)) {
      const { rows } = await this.db.query<CommandRow>(`SELECT * FROM lighting_commands WHERE id IN (${inList(part.length)})`, part);
      // a row made newer meanwhile (a create in between) is not put back over it
      for (const r of rows) if (this.latestIds.get(r.controller_id) === r.id && !this.stale.has(r.controller_id)) this.newestRows.set(r.controller_id, r);
    }
  }

  /**
   * The newest command of a cabinet, as read by the last `load` or `refresh` (the holder's view;
   * a pass refreshes first). Do not change the row returned.
   */
  newest(controllerId: string): CommandRow | undefined {
    return this.newestRows.get(controllerId);
  }

  /** The id of a cabinet's newest command (in memory), or undefined. */
  newestId(controllerId: string): string | undefined {
    return this.latestIds.get(controllerId);
  }

  /**
   * New commands, one per cabinet, in one transaction (a group command to thousands of cabinets
   * is one commit, and a few statements per 500 cabinets). Each supersedes its cabinet's open
   * command. Returns their ids, in order.
   */
  async createMany(list: readonly NewCommand[], nowMs: number): Promise<string[]> {
    const rows: CommandRow[] = list.map((c) => {
      // A cabinet's commands are ordered by created_at: two passes in one millisecond (a clock in a
      // test's hands) still make the later one newer.
      const previous = this.newestRows.get(c.controllerId)?.created_at ?? -Infinity;
      return {
        id: randomUUID(), controller_id: c.controllerId, action: c.action, level: c.level, source: c.source, state: 'pending',
        created_at: Math.max(nowMs, previous + 1), expires_at: c.expiresAt, attempts: 0, last_sent_at: null, next_attempt_at: null, finished_at: null, detail: null,
      };
    });
    // Only a cabinet's newest command can be open (each new one supersedes the rest), so the
    // commands superseded are found by id: a primary-key lookup each. (Matching by cabinet instead
    // made SQLite scan every open command per row: quadratic in a group command's own batches.)
    const superseded = rows.flatMap((r) => {
      const previous = this.latestIds.get(r.controller_id);
      return previous === undefined ? [] : [[previous, r.id] as const];
    });
    await this.db.transaction(async (tx) => {
      for (const part of bulkParts(superseded)) {
        await tx.query(
          `UPDATE lighting_commands SET state = 'expired', finished_at = $1, next_attempt_at = NULL, detail = 'superseded by ' || v.column2
             FROM (VALUES ${valuesList(part.length, 2, 2)}) AS v
            WHERE lighting_commands.id = v.column1 AND lighting_commands.${OPEN}`,
          [nowMs, ...part.flat()],
        );
      }
      for (const part of bulkParts(rows)) {
        await tx.query(
          `INSERT INTO lighting_commands (id, controller_id, action, level, source, state, created_at, expires_at) VALUES
             ${valuesList(part.length, 8)}`,
          part.flatMap((r): SqlValue[] => [r.id, r.controller_id, r.action, r.level, r.source, 'pending', r.created_at, r.expires_at]),
        );
      }
      await tableChanged(this.db, tx, COMMANDS_TABLE, rows.map((r) => r.id));
    });
    for (const r of rows) this.remember(r);
    return rows.map((r) => r.id);
  }

  async get(id: string): Promise<CommandRow | undefined> {
    return (await this.db.query<CommandRow>('SELECT * FROM lighting_commands WHERE id = $1', [id])).rows[0];
  }

  /**
   * The open commands a pass acts on at `nowMs`: every pending one, and sent ones whose ack
   * timeout is over. A sent command still within its timeout needs nothing, so a pass right
   * after a group command does not read back the thousands it just sent.
   */
  async due(nowMs: number): Promise<CommandRow[]> {
    // (`state IN` first, so the partial index of open commands serves it.)
    return (await this.db.query<CommandRow>(
      `SELECT * FROM lighting_commands WHERE ${OPEN} AND (state = 'pending' OR next_attempt_at IS NULL OR next_attempt_at <= $1) ORDER BY created_at, id`,
      [nowMs],
    )).rows;
  }

  /** Open commands past their expiry become `expired`; never sent after that. */
  async expire(nowMs: number): Promise<number> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ id: string }>(
        `UPDATE lighting_commands SET state = 'expired', finished_at = $1, next_attempt_at = NULL, detail = 'its expiry passed before the cabinet applied it'
          WHERE ${OPEN} AND expires_at <= $1 RETURNING id`,
        [nowMs],
      );
      const ids = rows.map((r) => r.id);
      this.markStale(ids);
      if (ids.length) await tableChanged(this.db, tx, COMMANDS_TABLE, ids);
      return ids.length;
    });
  }

  /**
   * A pass's decisions, in one transaction: `sent` (attempts + 1, the ack awaited until
   * `nextAttemptAt`), `waiting` (back to `pending` until the cabinet is heard from), `failed`.
   * Each changes only a command still open.
   */
  async writeMarks(marks: readonly CommandMark[], nowMs: number): Promise<void> {
    if (!marks.length) return;
    const sent = marks.filter((m) => m.kind === 'sent');
    const others = marks.filter((m) => m.kind !== 'sent');
    await this.db.transaction(async (tx) => {
      for (const part of bulkParts(sent)) {
        await tx.query(
          `UPDATE lighting_commands SET state = 'sent', attempts = attempts + 1, last_sent_at = $1, next_attempt_at = v.column2, detail = NULL
             FROM (VALUES ${valuesList(part.length, [asIs, asBigint], 2)}) AS v
            WHERE lighting_commands.id = v.column1 AND lighting_commands.${OPEN}`,
          [nowMs, ...part.flatMap((m) => [m.id, m.nextAttemptAt])],
        );
      }
      for (const m of others) {
        if (m.kind === 'waiting') {
          await tx.query(`UPDATE lighting_commands SET state = 'pending', next_attempt_at = NULL, detail = $1 WHERE id = $2 AND ${OPEN}`, [m.detail, m.id]);
        } else {
          await tx.query(`UPDATE lighting_commands SET state = 'failed', finished_at = $1, next_attempt_at = NULL, detail = $2 WHERE id = $3 AND ${OPEN}`, [nowMs, m.detail, m.id]);
        }
      }
      const ids = marks.map((m) => m.id);
      this.markStale(ids);
      await tableChanged(this.db, tx, COMMANDS_TABLE, ids);
    });
  }

  /**
   * Cabinets' answers, within `tx` (the acks' group commit; see `acknowledge` for one): an open
   * command becomes `acknowledged` or `rejected`; an answer to a command already over (expired,
   * superseded, failed) is noted on it and changes nothing; an unknown command changes nothing.
   * The last answer of a command in the list counts. Sends the change notice.
   */
  async acknowledgeIn(tx: RegistrySql, answers: readonly CommandAnswer[]): Promise<void> {
    const byCommand = new Map<string, CommandAnswer>();
    for (const a of answers) byCommand.set(`${a.controllerId}\n${a.cmdId}`, a);
    const list = [...byCommand.values()];
    const settled = new Set<string>();
    for (const part of bulkParts(list)) {
      const { rows } = await tx.query<{ id: string }>(
        `UPDATE lighting_commands SET state = v.column3, finished_at = v.column4, next_attempt_at = NULL, detail = v.column5
           FROM (VALUES ${valuesList(part.length, [asIs, asIs, asIs, asBigint, asIs])}) AS v
          WHERE lighting_commands.id = v.column1 AND lighting_commands.controller_id = v.column2 AND lighting_commands.${OPEN}
          RETURNING lighting_commands.id`,
        part.flatMap((a): SqlValue[] => [a.cmdId, a.controllerId, a.status === 'applied' ? 'acknowledged' : 'rejected', a.receivedMs, a.reason ?? null]),
      );
      for (const r of rows) settled.add(r.id);
    }
    // Late answers are few (a cabinet answering after its command was superseded or expired).
    for (const a of list) {
      if (settled.has(a.cmdId)) continue;
      await tx.query(
        `UPDATE lighting_commands SET detail = COALESCE(detail, '') || $1 WHERE id = $2 AND controller_id = $3`,
        [`; late ack (${a.status}) at ${new Date(a.receivedMs).toISOString()}`, a.cmdId, a.controllerId],
      );
    }
    const ids = list.map((a) => a.cmdId);
    this.markStale(ids);
    await tableChanged(this.db, tx, COMMANDS_TABLE, ids);
  }

  /** One answer, in its own transaction (an OPC UA cabinet's read-back); returns the command's state afterwards. */
  async acknowledge(controllerId: string, cmdId: string, status: 'applied' | 'rejected', reason: string | undefined, receivedMs: number): Promise<CommandState | undefined> {
    await this.db.transaction((tx) => this.acknowledgeIn(tx, [{ controllerId, cmdId, status, reason, receivedMs }]));
    const row = (await this.db.query<{ state: CommandState }>('SELECT state FROM lighting_commands WHERE id = $1 AND controller_id = $2', [cmdId, controllerId])).rows[0];
    return row?.state;
  }

  async list(filter: { controllerId?: string | undefined; state?: CommandState | undefined; limit: number }): Promise<LightingCommandRecord[]> {
    const where: string[] = [];
    const args: SqlValue[] = [];
    if (filter.controllerId) where.push(`controller_id = $${args.push(filter.controllerId)}`);
    if (filter.state) where.push(`state = $${args.push(filter.state)}`);
    const { rows } = await this.db.query<CommandRow>(
      `SELECT * FROM lighting_commands ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT $${args.push(filter.limit)}`,
      args,
    );
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
