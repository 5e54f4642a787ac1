/**
 * Work that must run once across a cluster of hub instances (the lighting scheduler, anomaly
 * detection, report jobs) runs on the instance that holds its lease. A lease is a name held by
 * one instance for a time to live; the holder renews it well before it lapses, and when the
 * holder dies another instance takes it once the time to live has passed.
 *
 * Two parts: the `LeaseStore` port (where leases live: Redis across instances, memory alone)
 * and `Leases`, which keeps this instance's leases acquired and renewed on a timer and answers
 * `isHolder()` at once, from what it last heard, with the clock passed in.
 */
import type { Logger } from '../observability/logger.ts';

/** Where leases live. Every call is atomic in the store. */
export interface LeaseStore {
  /** Takes the lease when it is free or already `holder`'s (then extends it). True when `holder` has it now. */
  acquire(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Extends the lease only while `holder` still has it. False when it lapsed or another took it. */
  renew(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Gives it up, only if `holder` has it. */
  release(name: string, holder: string): Promise<void>;
  /** Who holds it now, if anyone. */
  holder(name: string): Promise<string | undefined>;
  close(): Promise<void>;
}

/** One lease as a domain sees it (DomainContext.lease(name)). */
export interface Lease {
  readonly name: string;
  /** True while this instance holds the lease: check it each time before doing the run-once work. */
  isHolder(): boolean;
  /** Told when this instance gains (true) or loses (false) the lease. */
  onChange(listener: (holder: boolean) => void): void;
}

/** Leases live in this process only: one instance alone is always the holder. */
export class MemoryLeaseStore implements LeaseStore {
  private readonly held = new Map<string, { holder: string; untilMs: number }>();
  constructor(private readonly now: () => number) {}

  private current(name: string): { holder: string; untilMs: number } | undefined {
    const lease = this.held.get(name);
    return lease && lease.untilMs > this.now() ? lease : undefined;
  }

  async acquire(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const lease = this.current(name);
    if (lease && lease.holder !== holder) return false;
    this.held.set(name, { holder, untilMs: this.now() + ttlMs });
    return true;
  }

  async renew(name: string, holder: string, ttlMs: number): Promise<boolean> {
    if (this.current(name)?.holder !== holder) return false;
    this.held.set(name, { holder, untilMs: this.now() + ttlMs });
    return true;
  }

  async release(name: string, holder: string): Promise<void> {
    if (this.current(name)?.holder === holder) this.held.delete(name);
  }

  async holder(name: string): Promise<string | undefined> {
    return this.current(name)?.holder;
  }

  async close(): Promise<void> {}
}

export const DEFAULT_LEASE_TTL_MS = 15_000;

/**
 * How long a lease counts as held after a successful acquire or renew sent at `sentMs`: a
 * fifth of the time to live short of its end, for clock drift between instances and the
 * store's own expiry. Pure.
 */
export function heldUntil(sentMs: number, ttlMs: number): number {
  return sentMs + Math.floor(ttlMs * 0.8);
}

interface Held {
  lease: Lease;
  untilMs: number;
  listeners: ((holder: boolean) => void)[];
  busy: boolean;
}

export interface LeasesOptions {
  store: LeaseStore;
  /** this instance (HUB_INSTANCE_ID) */
  holder: string;
  now: () => number;
  logger: Logger;
  /** default DEFAULT_LEASE_TTL_MS; renewed every third of it */
  ttlMs?: number;
}

/** This instance's leases: each one asked for is acquired, then renewed, on one timer. */
export class Leases {
  private readonly leases = new Map<string, Held>();
  private readonly ttlMs: number;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly opts: LeasesOptions) {
    this.ttlMs = opts.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  }

  /** The lease of `name` (the same object on every call); it is tried for at once. */
  lease(name: string): Lease {
    const existing = this.leases.get(name);
    if (existing) return existing.lease;
    const held: Held = {
      untilMs: 0,
      listeners: [],
      busy: false,
      lease: {
        name,
        isHolder: () => held.untilMs > this.opts.now(),
        onChange: (listener) => void held.listeners.push(listener),
      },
    };
    this.leases.set(name, held);
    void this.tend(name, held);
    this.timer ??= setInterval(() => this.tick(), Math.max(50, Math.floor(this.ttlMs / 3)));
    this.timer.unref();
    return held.lease;
  }

  /** One pass: renew what is held, try for what is not. Also run by the timer. */
  async tick(): Promise<void> {
    await Promise.all([...this.leases].map(([name, held]) => this.tend(name, held)));
  }

  private async tend(name: string, held: Held): Promise<void> {
    if (held.busy || this.closed) return;
    held.busy = true;
    const { store, holder, now, logger } = this.opts;
    const sentMs = now();
    const wasHolder = held.lease.isHolder();
    let has: boolean;
    try {
      has = wasHolder ? await store.renew(name, holder, this.ttlMs) : await store.acquire(name, holder, this.ttlMs);
    } catch (err) {
      // The store is away: what is held stays held until its time is up, then lapses.
      logger.debug({ err: (err as Error).message, lease: name }, 'lease store unreachable');
      has = false;
      held.busy = false;
      this.notify(held, wasHolder);
      return;
    }
    held.busy = false;
    if (this.closed) return;
    held.untilMs = has ? heldUntil(sentMs, this.ttlMs) : 0;
    this.notify(held, wasHolder);
  }

  private notify(held: Held, wasHolder: boolean): void {
    const isHolder = held.lease.isHolder();
    if (isHolder === wasHolder) return;
    this.opts.logger.info({ lease: held.lease.name, holder: this.opts.holder }, isHolder ? 'lease taken: this instance runs the work' : 'lease lost: another instance runs the work');
    for (const listener of held.listeners) {
      try {
        listener(isHolder);
      } catch (err) {
        this.opts.logger.error({ err, lease: held.lease.name }, 'lease listener failed');
      }
    }
  }

  /** The names this instance holds now (for health). */
  held(): string[] {
    return [...this.leases.values()].filter((h) => h.lease.isHolder()).map((h) => h.lease.name);
  }

  /** Stops tending; gives up what it holds, so another instance takes over at once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    const held = [...this.leases].filter(([, h]) => h.lease.isHolder());
    for (const [, h] of this.leases) h.untilMs = 0;
    await Promise.all(held.map(([name]) => this.opts.store.release(name, this.opts.holder).catch(() => undefined)));
    await this.opts.store.close();
  }
}
