/**
 * Slows down repeated failed logins from one address: the first few failures cost nothing,
 * then each answer waits twice as long as the one before, up to a cap. A device behind the
 * same NAT as an attacker is delayed, not locked out. Pure: the clock comes in.
 */
export class AuthThrottle {
  private readonly failures = new Map<string, { count: number; lastMs: number }>();

  constructor(
    private readonly now: () => number,
    private readonly opts = { freeFailures: 3, baseDelayMs: 250, maxDelayMs: 30_000, forgetAfterMs: 15 * 60_000 },
  ) {}

  /** How long to hold the answer to a login attempt from `key`. */
  delayFor(key: string): number {
    const f = this.failures.get(key);
    if (!f) return 0;
    if (this.now() - f.lastMs > this.opts.forgetAfterMs) {
      this.failures.delete(key);
      return 0;
    }
    const over = f.count - this.opts.freeFailures;
    return over < 0 ? 0 : Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** over);
  }

  failed(key: string): void {
    const f = this.failures.get(key);
    this.failures.set(key, { count: (f?.count ?? 0) + 1, lastMs: this.now() });
    if (this.failures.size > 100_000) this.prune();
  }

  succeeded(key: string): void {
    this.failures.delete(key);
  }

  private prune(): void {
    const cutoff = this.now() - this.opts.forgetAfterMs;
    for (const [k, f] of this.failures) if (f.lastMs < cutoff) this.failures.delete(k);
  }
}
