export type Schedule = (fn: () => void, ms: number) => () => void;

const unrefTimeout: Schedule = (fn, ms) => {
  const t = setTimeout(fn, ms);
  t.unref();
  return () => clearTimeout(t);
};

/**
 * Keeps a flood of one kind of event (refused logins) from flooding the log: the first event of
 * an interval is written in full, the rest are counted and written as one summary line at the
 * end of the interval, with a few of their keys (addresses) as a sample. At most two lines per
 * interval, however many events. The timer is the only I/O and comes in as `schedule`.
 */
export class LogSummary<T> {
  private count = 0;
  private readonly sample = new Set<string>();
  private cancel: (() => void) | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly write: { first(detail: T): void; summary(count: number, sample: string[], intervalMs: number): void },
    private readonly schedule: Schedule = unrefTimeout,
    private readonly maxSample = 10,
  ) {}

  note(key: string, detail: T): void {
    if (!this.cancel) {
      this.write.first(detail);
      this.cancel = this.schedule(() => this.flush(), this.intervalMs);
      return;
    }
    this.count++;
    if (this.sample.size < this.maxSample) this.sample.add(key);
  }

  /** Writes the summary of what was held back (if anything) and starts afresh; also on close. */
  flush(): void {
    this.cancel?.();
    this.cancel = undefined;
    if (this.count > 0) this.write.summary(this.count, [...this.sample], this.intervalMs);
    this.count = 0;
    this.sample.clear();
  }
}
