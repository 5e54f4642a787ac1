import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { HistoryPoint, HistoryStore } from '../store/history-store.ts';
import { HistoryStoreError } from '../store/points.ts';
import { parseRecord } from '../store/line-protocol.ts';
import type { Journal } from './journal.ts';
import { SameInstantWindow } from './same-instant.ts';

const MIN_BACKOFF_MS = 200;
/** Batches written at once: the next ones are read and sent while the store answers the first. */
const WRITES_IN_FLIGHT = 4;
/**
 * After a batch that was not full the next read waits this long. A busy hub then sends full
 * batches, and a quiet one a few small writes a second instead of one per group commit, each
 * with a cursor fsync competing with the appends' fsyncs (that doubled the PUBACK p99 at
 * 5,000 msg/s).
 */
const LINGER_MS = 100;
/** The longest wait between retries of a failing store (default of `maxBackoffMs`). */
export const MAX_BACKOFF_MS = 30_000;

/** The point of a record the store refused, for the dead letter; the raw text if it does not even parse. */
function unstorablePoint(record: Uint8Array): HistoryPoint | string {
  try {
    return parseRecord(record);
  } catch {
    return Buffer.from(record).toString('utf8');
  }
}

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
  /** when the store last confirmed a batch: fresher news of it than any probe */
  lastSuccessMs = Number.NEGATIVE_INFINITY;
  private failingSince: number | undefined;
  /** the newest position the store holds everything up to, not yet handed to the spool */
  private toConfirm: unknown;
  private confirming: Promise<void> | undefined;

  constructor(
    private readonly journal: Journal,
    private readonly store: HistoryStore,
    private readonly deps: {
      metrics: Metrics;
      logger: Logger;
      now: () => number;
      /**
       * A point not written: the store refused it for good (not an outage), or it is a second,
       * different record for an instant of its series (see same-instant.ts). Kept for
       * inspection, then skipped.
       */
      onUnstorable: (point: HistoryPoint | string, detail: string, reason: 'store-refused' | 'same-timestamp') => void;
      /** How many (series, instant)s the same-instant rule remembers; default DEFAULT_CAPACITY. */
      sameInstantCapacity?: number;
      /** The cap of the retry backoff; default MAX_BACKOFF_MS. */
      maxBackoffMs?: number;
    },
  ) {
    this.instants = new SameInstantWindow(deps.sameInstantCapacity);
  }

  /** Decides, in spool order, which record of a (series, instant) is the point. */
  private readonly instants: SameInstantWindow;

  /**
   * The records of a batch to write: those that are the first (or a repeat) of their instant.
   * Batches are read one after the other in spool order, so this order is the same whatever
   * the store does with the writes in flight, and the same again when the spool is replayed.
   */
  private sift(records: Uint8Array[]): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const record of records) {
      let verdict;
      try {
        verdict = this.instants.check(record);
      } catch {
        verdict = 'first' as const; // not even a point: the store refuses it and says why
      }
      if (verdict === 'first' || verdict === 'repeat') out.push(record);
      else if (verdict === 'conflict') {
        const point = unstorablePoint(record);
        const at = typeof point === 'string' ? '' : ` ${new Date(point.ts).toISOString()}`;
        this.deps.onUnstorable(point, `another record of this series at${at} came first; a later, different one for the same instant is not stored`, 'same-timestamp');
      }
    }
    return out;
  }

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
    await this.confirming;
  }

  /**
   * Moves the spool's cursor to `end` without holding up the next writes. Persisting the
   * cursor takes two fsyncs, which queue behind the appends' group commits: under full load
   * that was half a second per batch, and awaiting it capped the writer at a batch a second.
   * Positions that come in while one is persisted are folded into the newest. A cursor left
   * behind (a crash, a failed confirm) only means some points are written again, harmlessly.
   */
  private confirmInBackground(end: unknown): void {
    this.toConfirm = end;
    this.confirming ??= (async () => {
      while (this.toConfirm !== undefined) {
        const next = this.toConfirm;
        this.toConfirm = undefined;
        try {
          await this.journal.confirm(next);
        } catch (err) {
          this.deps.logger.error({ err }, 'moving the spool cursor failed; the points after it are written again later, harmlessly');
        }
      }
      this.confirming = undefined;
    })();
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
   * Writes a batch of spool records (line protocol, passed on as they are). When the store
   * refuses it for good (e.g. a field type conflict), writes the records one by one so that only
   * the bad ones are set aside and the spool is not blocked.
   */
  private async writeOrIsolate(records: readonly Uint8Array[]): Promise<void> {
    try {
      await this.store.writeLines(records);
    } catch (err) {
      if (!(err instanceof HistoryStoreError) || err.retryable) throw err;
      for (const record of records) {
        try {
          await this.store.writeLines([record]);
        } catch (one) {
          if (!(one instanceof HistoryStoreError) || one.retryable) throw one;
          this.deps.onUnstorable(unstorablePoint(record), one.message, 'store-refused');
        }
      }
    }
  }

  private async run(): Promise<void> {
    const { metrics, logger } = this.deps;
    let backoff = MIN_BACKOFF_MS;
    // Batches being written, oldest first. They are confirmed strictly in spool order.
    const inFlight: { done: Promise<void>; end: unknown; points: number; stopTimer: () => void }[] = [];
    let readAfter = 0;
    while (this.running) {
      let batch: Awaited<ReturnType<Journal['read']>> = null;
      const lingerMs = readAfter - performance.now();
      if (inFlight.length < WRITES_IN_FLIGHT && lingerMs <= 0) {
        try {
          batch = await this.journal.read(this.store.maxBatch);
        } catch (err) {
          logger.error({ err }, 'reading the spool failed');
          await this.sleep(backoff);
          continue;
        }
      }
      if (batch) {
        const records = this.sift(batch.records);
        const done = this.writeOrIsolate(records);
        done.catch(() => undefined); // awaited below, in order; this only keeps it from counting as unhandled
        inFlight.push({ done, end: batch.end, points: records.length, stopTimer: metrics.storeWriteSeconds.startTimer() });
        if (batch.records.length < this.store.maxBatch) readAfter = performance.now() + LINGER_MS;
        continue;
      }
      const oldest = inFlight.shift();
      if (!oldest) {
        if (lingerMs > 0) await this.sleep(lingerMs);
        else await Promise.race([this.journal.waitReadable(), this.stopped]);
        continue;
      }
      try {
        await oldest.done;
        oldest.stopTimer();
        this.confirmInBackground(oldest.end);
        metrics.storeWrittenPoints.inc(oldest.points);
        if (this.lastError !== undefined) logger.info({ points: oldest.points }, 'history store writes resumed');
        this.lastError = undefined;
        this.failingSince = undefined;
        this.lastSuccessMs = this.deps.now();
        backoff = MIN_BACKOFF_MS;
      } catch (err) {
        // Everything after the confirmed position is read again; what the later writes stored is
        // written again, harmlessly.
        await Promise.allSettled(inFlight.map((w) => w.done));
        inFlight.length = 0;
        metrics.storeWriteErrors.inc();
        // The cursor first, so the rewind goes back to where the store really is.
        await this.confirming;
        this.journal.rewind();
        const message = (err as Error).message;
        if (this.lastError === undefined) {
          this.failingSince = this.deps.now();
          logger.warn({ err: message }, 'history store write failed; keeping the spool and retrying');
        }
        this.lastError = message;
        await this.sleep(backoff);
        backoff = Math.min(this.deps.maxBackoffMs ?? MAX_BACKOFF_MS, backoff * 2);
        // The store may have been away when the hub started, or lost its database since:
        // creating it is idempotent and cheap next to a failed write.
        await this.store.init().catch(() => undefined);
      }
    }
    await Promise.allSettled(inFlight.map((w) => w.done));
  }
}
