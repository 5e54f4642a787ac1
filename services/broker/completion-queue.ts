import type { Writable } from 'node:stream';

/**
 * How many acknowledgements go back to aedes per turn of the event loop. When aedes gets the
 * last one of a connection's batch it parses that connection's next chunk at once; a group
 * commit can finish thousands of batches together, and under a flood each next chunk holds
 * hundreds of messages. Handing them back a bounded number per turn keeps every turn short, so
 * HTTP (health, dashboards) and timers still get their turn.
 */
export const COMPLETIONS_PER_TURN = 4_000;

interface Completion {
  done: (err: null) => void;
  /** the connection the acknowledgement goes out on, corked while a turn's PUBACKs are written */
  conn: Writable | undefined;
}

/** Callbacks run in the order they came, at most `perTurn` per turn of the event loop. */
export class CompletionQueue {
  private readonly queue: Completion[] = [];
  private scheduled = false;
  constructor(private readonly perTurn: number) {}

  get length(): number {
    return this.queue.length;
  }

  push(done: (err: null) => void, conn?: Writable): void {
    this.queue.push({ done, conn });
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const turn = this.queue.splice(0, this.perTurn);
      // aedes writes each PUBACK as the callback returns: corked, a connection's PUBACKs of
      // this turn leave in one write instead of one system call each.
      const corked = new Set<Writable>();
      for (const { conn } of turn) {
        if (conn && !corked.has(conn) && !conn.destroyed) {
          conn.cork();
          corked.add(conn);
        }
      }
      try {
        for (const { done } of turn) done(null);
      } finally {
        for (const conn of corked) conn.uncork();
      }
      this.schedule();
    });
  }
}
