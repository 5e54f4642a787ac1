/**
 * How much of a turn of the event loop acknowledgements may take. When aedes gets the last one
 * of a connection's batch it parses that connection's next chunk at once, inside the callback; a
 * group commit can finish thousands of batches together, and under a flood each next chunk holds
 * hundreds of messages. Handing them back for a bounded time per turn keeps every turn short, so
 * HTTP (health, dashboards) and timers still get their turn. A time budget rather than a count:
 * a callback costs little when messages come one per read and a lot when each one releases a
 * 64 KB chunk. The budget must leave acknowledgements a fair share of the loop: libuv reads every
 * ready socket before it runs these, and with 4,000 per turn (or 10 ms) the acknowledgements of
 * one-message-per-read traffic fell seconds behind the spool at 24k msgs/s; at 50 ms the hub
 * keeps up with ~30k. Under a flood turns must stay short for health to be answered, so while
 * intake is throttled the budget is the short one.
 */
export const COMPLETION_BUDGET_MS = 50;
export const COMPLETION_BUDGET_THROTTLED_MS = 10;
/** acknowledgements waiting that mean a flood (full load queues a few thousand) */
export const FLOOD_ACKS = 20_000;
/** and never more than this many in one turn, whatever the clock says */
export const COMPLETIONS_PER_TURN = 50_000;
/** callbacks run between two looks at the clock */
const CLOCK_EVERY = 64;

/** Callbacks run in the order they came, for at most `budgetMs` (and `perTurn` callbacks) per turn of the event loop. */
export class CompletionQueue {
  private queue: ((err: null) => void)[] = [];
  private head = 0;
  private scheduled = false;
  constructor(
    private readonly perTurn: number,
    private readonly budgetMs: () => number = () => COMPLETION_BUDGET_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get length(): number {
    return this.queue.length - this.head;
  }

  push(done: (err: null) => void): void {
    this.queue.push(done);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled || this.length === 0) return;
    this.scheduled = true;
    setImmediate(() => this.turn());
  }

  private turn(): void {
    this.scheduled = false;
    const start = this.now();
    const budget = this.budgetMs();
    const end = Math.min(this.queue.length, this.head + this.perTurn);
    let ran = 0;
    while (this.head < end) {
      const done = this.queue[this.head]!;
      this.queue[this.head++] = undefined as unknown as (err: null) => void;
      done(null);
      if (++ran % CLOCK_EVERY === 0 && this.now() - start >= budget) break;
    }
    // Drop what has run once it is most of the array (no splice per turn).
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    this.schedule();
  }
}
