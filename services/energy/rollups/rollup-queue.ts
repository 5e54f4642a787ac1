import type { RegisterReading } from '../consumption/registers.ts';
import type { ConsumptionRollups, MeterRules } from './consumption-rollups.ts';

/** How long accepted readings wait to be rolled up: the ingest path only appends to a map. */
export const ROLLUP_FLUSH_MS = 1_000;

/**
 * Accepted readings wait here for a short timer, then go into the rollups per meter in one
 * transaction: the hot path (`offer`) does no I/O.
 */
export class RollupQueue {
  private pending = new Map<string, RegisterReading[]>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly rollups: ConsumptionRollups,
    private readonly rulesOf: (meterId: string, readings: readonly RegisterReading[]) => MeterRules | undefined,
    private readonly onError: (err: Error, meterId: string) => void,
    private readonly flushMs = ROLLUP_FLUSH_MS,
  ) {}

  offer(meterId: string, reading: RegisterReading): void {
    const list = this.pending.get(meterId);
    if (list) list.push(reading);
    else this.pending.set(meterId, [reading]);
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.flushMs);
      this.timer.unref();
    }
  }

  /** Rolls up everything waiting; returns how many readings it took. */
  flush(): number {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = new Map();
    let n = 0;
    const rollUp = () => {
      for (const [meterId, readings] of batch) {
        try {
          const rules = this.rulesOf(meterId, readings);
          if (!rules) continue;
          this.rollups.apply(meterId, readings, rules);
          n += readings.length;
        } catch (err) {
          this.onError(err as Error, meterId);
        }
      }
    };
    try {
      // One transaction for the whole flush (one commit, one sync); each meter a savepoint of it.
      this.rollups.batch(rollUp);
    } catch (err) {
      // Only the commit itself can fail here: nothing of this flush was kept.
      n = 0;
      for (const meterId of batch.keys()) this.onError(err as Error, meterId);
    }
    return n;
  }

  get waiting(): number {
    let n = 0;
    for (const list of this.pending.values()) n += list.length;
    return n;
  }
}
