/**
 * How many acknowledgements go back to aedes per turn of the event loop. When aedes gets the
 * last one of a connection's batch it parses that connection's next chunk at once; a group
 * commit can finish thousands of batches together, and under a flood each next chunk holds
 * hundreds of messages. Handing them back a bounded number per turn keeps every turn short, so
 * HTTP (health, dashboards) and timers still get their turn.
 */
export const COMPLETIONS_PER_TURN = 4_000;

/** Callbacks run in the order they came, at most `perTurn` per turn of the event loop. */
export class CompletionQueue {
  private readonly queue: ((err: null) => void)[] = [];
  private scheduled = false;
  constructor(private readonly perTurn: number) {}

  get length(): number {
    return this.queue.length;
  }

  push(done: (err: null) => void): void {
    this.queue.push(done);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      for (const done of this.queue.splice(0, this.perTurn)) done(null);
      this.schedule();
    });
  }
}
