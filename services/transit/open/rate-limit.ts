/**
 * A token bucket per client address, in memory only: `capacity` requests at once, refilled at
 * `perSecond`. Addresses are forgotten when their bucket is full again (nothing kept beyond that)
 * and, past `maxClients`, the oldest are dropped first. Pure: the clock is passed in.
 */
export interface RateLimitOptions {
  capacity: number;
  perSecond: number;
  /** most addresses held at once (default 10 000) */
  maxClients?: number;
}

/** The open API's limit per client address, REST and `/open` sockets together: 60 at once, 1 a second. */
export const OPEN_RATE_LIMIT: RateLimitOptions = { capacity: 60, perSecond: 1 };

export type Take = { ok: true; remaining: number } | { ok: false; retryAfterS: number };

export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();
  private readonly maxClients: number;

  constructor(private readonly opts: RateLimitOptions) {
    if (!(opts.capacity >= 1) || !(opts.perSecond > 0)) throw new Error('rate limit: capacity must be ≥ 1 and perSecond > 0');
    this.maxClients = opts.maxClients ?? 10_000;
  }

  get size(): number {
    return this.buckets.size;
  }

  take(key: string, nowMs: number): Take {
    const { capacity, perSecond } = this.opts;
    const b = this.buckets.get(key);
    let tokens = b ? Math.min(capacity, b.tokens + (Math.max(0, nowMs - b.atMs) / 1000) * perSecond) : capacity;
    if (tokens < 1) {
      this.buckets.set(key, { tokens, atMs: nowMs });
      return { ok: false, retryAfterS: Math.max(1, Math.ceil((1 - tokens) / perSecond)) };
    }
    tokens -= 1;
    // Re-insert so the map's order is least recently used first.
    this.buckets.delete(key);
    this.buckets.set(key, { tokens, atMs: nowMs });
    if (this.buckets.size > this.maxClients) this.sweep(nowMs);
    return { ok: true, remaining: Math.floor(tokens) };
  }

  /** Forgets addresses whose bucket has refilled, then the oldest while over maxClients. */
  sweep(nowMs: number): void {
    const { capacity, perSecond } = this.opts;
    for (const [k, b] of this.buckets) if (b.tokens + ((nowMs - b.atMs) / 1000) * perSecond >= capacity) this.buckets.delete(k);
    for (const k of this.buckets.keys()) {
      if (this.buckets.size <= this.maxClients) break;
      this.buckets.delete(k);
    }
  }
}
