import type { LightingCommandAck } from '../contracts/index.ts';
import type { Db } from '../registry/database.ts';

export interface KeptAck {
  cmdId: string;
  controllerId: string;
  ts: string;
  status: 'applied' | 'rejected';
  reason: string | null;
  receivedAt: string;
}

/**
 * Cabinets' acknowledgements of commands, kept in the registry before the cabinet's PUBACK: an
 * acknowledged ack is never lost. A repeated ack (QoS 1 resends it) replaces the first.
 */
export class CommandAcks {
  private readonly insert;
  constructor(private readonly db: Db) {
    this.insert = db.prepare(
      `INSERT INTO lighting_command_acks (cmd_id, controller_id, ts, status, reason, received_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (controller_id, cmd_id) DO UPDATE SET ts = excluded.ts, status = excluded.status, reason = excluded.reason, received_at = excluded.received_at`,
    );
  }

  keep(controllerId: string, ack: { cmdId: string; ts: number; status: LightingCommandAck['status']; reason?: string }, receivedMs: number): void {
    this.insert.run(ack.cmdId, controllerId, new Date(ack.ts).toISOString(), ack.status, ack.reason ?? null, new Date(receivedMs).toISOString());
  }

  list(controllerId?: string, limit = 500): KeptAck[] {
    const rows = (controllerId
      ? this.db.prepare('SELECT * FROM lighting_command_acks WHERE controller_id = ? ORDER BY received_at DESC LIMIT ?').all(controllerId, limit)
      : this.db.prepare('SELECT * FROM lighting_command_acks ORDER BY received_at DESC LIMIT ?').all(limit)) as {
      cmd_id: string; controller_id: string; ts: string; status: KeptAck['status']; reason: string | null; received_at: string;
    }[];
    return rows.map((r) => ({ cmdId: r.cmd_id, controllerId: r.controller_id, ts: r.ts, status: r.status, reason: r.reason, receivedAt: r.received_at }));
  }
}

/**
 * Items kept together: each `add` waits for the one registry transaction that `commit` runs for
 * everything added within the same turn of the event loop (at most `maxBatch` a transaction; the
 * rest in the next turn). A cabinet's PUBACK waits for that commit, so an acknowledged ack is
 * still on disk first, but 10,000 acks cost a few commits (fsyncs) instead of 10,000. Should the
 * transaction fail, every item of it is refused (the cabinets send their acks again).
 */
export class GroupCommit<T> {
  private waiting: { item: T; resolve: () => void; reject: (err: Error) => void }[] = [];
  private scheduled = false;
  /** transactions run, and items kept, since the start (for tests and the bench's curious) */
  commits = 0;
  kept = 0;
  constructor(
    private readonly commit: (items: readonly T[]) => void,
    private readonly maxBatch = 2_000,
    private readonly schedule: (fn: () => void) => void = setImmediate,
  ) {}

  get pending(): number {
    return this.waiting.length;
  }

  add(item: T): Promise<void> {
    const done = new Promise<void>((resolve, reject) => this.waiting.push({ item, resolve, reject }));
    if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(() => this.flush());
    }
    return done;
  }

  /** Commits what waits, now (at close; the scheduled turn finds nothing left). */
  flush(): void {
    this.scheduled = false;
    const batch = this.waiting.splice(0, this.maxBatch);
    if (this.waiting.length) {
      this.scheduled = true;
      this.schedule(() => this.flush());
    }
    if (!batch.length) return;
    try {
      this.commit(batch.map((w) => w.item));
    } catch (err) {
      for (const w of batch) w.reject(err as Error);
      return;
    }
    this.commits++;
    this.kept += batch.length;
    for (const w of batch) w.resolve();
  }

  /** Commits everything still waiting (the module closes). */
  drain(): void {
    while (this.waiting.length) this.flush();
  }
}
