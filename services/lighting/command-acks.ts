import type { LightingCommandAck } from '../contracts/index.ts';
import { bulkParts, valuesList, type DomainTables, type RegistrySql, type SqlValue } from '../platform/domain-tables.ts';

export interface KeptAck {
  cmdId: string;
  controllerId: string;
  ts: string;
  status: 'applied' | 'rejected';
  reason: string | null;
  receivedAt: string;
}

/** A `cmd/ack` as a cabinet sent it, with when this instance received it. */
export interface AckInput { controllerId: string; ack: { cmdId: string; ts: number; status: LightingCommandAck['status']; reason?: string }; receivedMs: number }

/**
 * Cabinets' acknowledgements of commands: a shared table (`DomainContext.tables`), written by the
 * instance that received the ack, before the cabinet's PUBACK, in one transaction with the
 * command's new state; an acknowledged ack is never lost. A repeated ack (QoS 1 resends it)
 * replaces the first.
 */
export class CommandAcks {
  constructor(private readonly db: DomainTables) {}

  /** Keeps `list` within `tx` (the group commit's transaction); the last ack of a command in it counts. */
  async keepIn(tx: RegistrySql, list: readonly AckInput[]): Promise<void> {
    // One row per command: an upsert may not touch a row twice in one statement.
    const rows = [...new Map(list.map((a) => [`${a.controllerId}\n${a.ack.cmdId}`, a])).values()];
    for (const part of bulkParts(rows)) {
      await tx.query(
        `INSERT INTO lighting_command_acks (cmd_id, controller_id, ts, status, reason, received_at) VALUES ${valuesList(part.length, 6)}
         ON CONFLICT (controller_id, cmd_id) DO UPDATE SET ts = excluded.ts, status = excluded.status, reason = excluded.reason, received_at = excluded.received_at`,
        part.flatMap(({ controllerId, ack, receivedMs }): SqlValue[] => [
          ack.cmdId, controllerId, new Date(ack.ts).toISOString(), ack.status, ack.reason ?? null, new Date(receivedMs).toISOString(),
        ]),
      );
    }
  }

  async list(controllerId?: string, limit = 500): Promise<KeptAck[]> {
    const { rows } = controllerId
      ? await this.db.query<AckRow>('SELECT * FROM lighting_command_acks WHERE controller_id = $1 ORDER BY received_at DESC LIMIT $2', [controllerId, limit])
      : await this.db.query<AckRow>('SELECT * FROM lighting_command_acks ORDER BY received_at DESC LIMIT $1', [limit]);
    return rows.map((r) => ({ cmdId: r.cmd_id, controllerId: r.controller_id, ts: r.ts, status: r.status, reason: r.reason, receivedAt: r.received_at }));
  }
}

interface AckRow { cmd_id: string; controller_id: string; ts: string; status: KeptAck['status']; reason: string | null; received_at: string }

/**
 * Items kept together: each `add` waits for the one transaction that `commit` runs for everything
 * added meanwhile — within the same turn of the event loop, or while the previous commit was in
 * flight (at most `maxBatch` a transaction; the rest in the next). A cabinet's PUBACK waits for
 * that commit, so an acknowledged ack is stored first, but 10,000 acks cost a few commits (fsyncs,
 * or round trips to PostgreSQL) instead of 10,000. Should the transaction fail, every item of it
 * is refused (the cabinets send their acks again). One commit at a time.
 */
export class GroupCommit<T> {
  private waiting: { item: T; resolve: () => void; reject: (err: Error) => void }[] = [];
  private scheduled = false;
  private inFlight: Promise<void> | undefined;
  /** transactions run, and items kept, since the start (for tests and the bench's curious) */
  commits = 0;
  kept = 0;
  constructor(
    private readonly commit: (items: readonly T[]) => Promise<void> | void,
    private readonly maxBatch = 2_000,
    private readonly schedule: (fn: () => void) => void = setImmediate,
  ) {}

  get pending(): number {
    return this.waiting.length;
  }

  add(item: T): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.waiting.push({ item, resolve, reject }));
    this.scheduleFlush();
    return done;
  }

  private scheduleFlush(): void {
    if (this.scheduled || this.inFlight) return;
    this.scheduled = true;
    this.schedule(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  /** Commits one batch of what waits now (after the commit in flight, if any). */
  async flush(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    const batch = this.waiting.splice(0, this.maxBatch);
    if (!batch.length) return;
    this.inFlight = (async () => {
      try {
        await this.commit(batch.map((w) => w.item));
      } catch (err) {
        for (const w of batch) w.reject(err as Error);
        return;
      }
      this.commits++;
      this.kept += batch.length;
      for (const w of batch) w.resolve();
    })().finally(() => {
      this.inFlight = undefined;
      // what came meanwhile is the next batch
      if (this.waiting.length) this.scheduleFlush();
    });
    return this.inFlight;
  }

  /** Commits everything still waiting (the module closes). */
  async drain(): Promise<void> {
    while (this.inFlight || this.waiting.length) {
      if (this.inFlight) await this.inFlight;
      else await this.flush();
    }
  }
}
