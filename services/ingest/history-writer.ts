import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { HistoryPoint, HistoryStore } from '../store/history-store.ts';
import { HistoryStoreError } from '../store/points.ts';
import { decodePoint } from './history-points.ts';
import type { Journal } from './journal.ts';

const MIN_BACKOFF_MS = 200;
const MAX_BACKOFF_MS = 30_000;

/**
 * Drains the spool into the history store, in order, in batches of up to the store's maximum.
 * A failed write is retried from the last confirmed position with exponential backoff; the
 * store's idempotent writes make the replay harmless.
 */
export class HistoryWriter {
  private running = false;
  private stopRequested!: () => void;
  private readonly stopped = new Promise<void>((resolve) => (this.stopRequested = resolve));
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private lastError: string | undefined;
  private failingSince: number | undefined;

  constructor(
    private readonly journal: Journal,
    private readonly store: HistoryStore,
    private readonly deps: {
      metrics: Metrics;
      logger: Logger;
      now: () => number;
      /** A point the store refuses for good (not an outage): kept for inspection, then skipped. */
      onUnstorable: (point: HistoryPoint, reason: string) => void;
    },
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  status(): { ok: boolean; detail?: string } {
    if (this.lastError === undefined) return { ok: true };
    const s = Math.round((this.deps.now() - (this.failingSince ?? this.deps.now())) / 1000);
    return { ok: false, detail: `store writes failing for ${s} s (retrying; nothing is lost): ${this.lastError}` };
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stopRequested();
    this.wake?.();
    await this.loop;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }

  /**
   * Writes a batch. When the store refuses it for good (e.g. a field type conflict), writes the
   * points one by one so that only the bad ones are set aside and the spool is not blocked.
   */
  private async writeOrIsolate(points: HistoryPoint[]): Promise<void> {
    try {
      await this.store.write(points);
    } catch (err) {
      if (!(err instanceof HistoryStoreError) || err.retryable) throw err;
      for (const point of points) {
        try {
          await this.store.write([point]);
        } catch (one) {
          if (!(one instanceof HistoryStoreError) || one.retryable) throw one;
          this.deps.onUnstorable(point, one.message);
        }
      }
    }
  }

  private async run(): Promise<void> {
    const { metrics, logger } = this.deps;
    let backoff = MIN_BACKOFF_MS;
    while (this.running) {
      let batch: Awaited<ReturnType<Journal['read']>>;
      try {
        batch = await this.journal.read(this.store.maxBatch);
      } catch (err) {
        logger.error({ err }, 'reading the spool failed');
        await this.sleep(backoff);
        continue;
      }
      if (!batch) {
        await Promise.race([this.journal.waitReadable(), this.stopped]);
        continue;
      }
      const points = batch.records.map(decodePoint);
      const stopTimer = metrics.storeWriteSeconds.startTimer();
      try {
        await this.writeOrIsolate(points);
        stopTimer();
        await this.journal.confirm(batch.end);
        metrics.storeWrittenPoints.inc(points.length);
        if (this.lastError !== undefined) logger.info({ points: points.length }, 'history store writes resumed');
        this.lastError = undefined;
        this.failingSince = undefined;
        backoff = MIN_BACKOFF_MS;
      } catch (err) {
        metrics.storeWriteErrors.inc();
        this.journal.rewind();
        const message = (err as Error).message;
        if (this.lastError === undefined) {
          this.failingSince = this.deps.now();
          logger.warn({ err: message }, 'history store write failed; keeping the spool and retrying');
        }
        this.lastError = message;
        await this.sleep(backoff);
        backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
      }
    }
  }
}
