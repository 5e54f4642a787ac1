import type { DeadLetter } from '../contracts/index.ts';
import type { Db } from '../registry/database.ts';
import type { DeadLetterInput } from './ingest.ts';

const PREVIEW_BYTES = 512;
/** The dead letter keeps the most recent refusals; older ones are counted in metrics only. */
const KEEP = 10_000;

interface Row { id: number; received_at: string; source: string; device_id: string | null; topic: string | null; reason: string; detail: string; payload_preview: string; payload_bytes: number }

export class DeadLetters {
  private readonly insert;
  private inserted = 0;
  constructor(private readonly db: Db, private readonly now: () => number) {
    this.insert = db.prepare(
      'INSERT INTO dead_letters (received_at, source, device_id, topic, reason, detail, payload_preview, payload_bytes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
  }

  add(input: DeadLetterInput): void {
    const payload = input.payload === undefined ? Buffer.alloc(0) : typeof input.payload === 'string' ? Buffer.from(input.payload) : Buffer.from(input.payload.buffer, input.payload.byteOffset, input.payload.byteLength);
    this.insert.run(
      new Date(this.now()).toISOString(), input.source, input.deviceId ?? null, input.topic ?? null, input.reason,
      input.detail, payload.subarray(0, PREVIEW_BYTES).toString('utf8'), payload.byteLength,
    );
    if (++this.inserted % 500 === 0) this.db.prepare('DELETE FROM dead_letters WHERE id <= (SELECT max(id) FROM dead_letters) - ?').run(KEEP);
  }

  list(q: { limit: number; beforeId?: number; reason?: string; deviceId?: string }): DeadLetter[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM dead_letters WHERE id < @before AND (@reason IS NULL OR reason = @reason) AND (@device IS NULL OR device_id = @device)
         ORDER BY id DESC LIMIT @limit`,
      )
      .all({ before: q.beforeId ?? Number.MAX_SAFE_INTEGER, reason: q.reason ?? null, device: q.deviceId ?? null, limit: q.limit }) as Row[];
    return rows.map((r) => ({
      id: r.id, receivedAt: r.received_at, source: r.source, deviceId: r.device_id, topic: r.topic, reason: r.reason,
      detail: r.detail, payloadPreview: r.payload_preview, payloadBytes: r.payload_bytes,
    }));
  }
}
