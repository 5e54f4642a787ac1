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
