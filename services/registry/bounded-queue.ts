/** Thrown when a BoundedQueue's waiting line is full: the caller should answer "busy, try later". */
export class QueueFullError extends Error {
  constructor(readonly queue: string) {
    super(`${queue}: too many waiting; try again later`);
  }
}

/**
 * Runs at most `concurrency` tasks at once; up to `maxWaiting` more wait in line, in order, and
 * any further one is refused at once with QueueFullError instead of growing the line without end.
 */
export class BoundedQueue {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  /** The most tasks ever running at once: what tests and /metrics look at. */
  peakActive = 0;
  refused = 0;

  constructor(readonly name: string, private readonly opts: { concurrency: number; maxWaiting: number }) {}

  get running(): number {
    return this.active;
  }

  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.opts.concurrency) {
      if (this.waiting.length >= this.opts.maxWaiting) {
        this.refused++;
        throw new QueueFullError(this.name);
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    // A task handed a slot by release() inherits it: `active` was not decremented.
    this.peakActive = Math.max(this.peakActive, this.active);
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }
}
