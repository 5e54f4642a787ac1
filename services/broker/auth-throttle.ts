export interface ThrottleOptions {
  /** failures of a key that cost nothing */
  freeFailures: number;
  /** the hold after the first failure past the free ones; it doubles with each further one */
  baseDelayMs: number;
  maxDelayMs: number;
  /** a key quiet for this long starts afresh */
  forgetAfterMs: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = { freeFailures: 3, baseDelayMs: 250, maxDelayMs: 30_000, forgetAfterMs: 15 * 60_000 };

/** One login attempt that was let through: say how it ended. */
export interface AttemptTicket {
  readonly ok: true;
  /** The credentials were right: the account starts afresh, the address's count is given back. */
  succeeded(): void;
  /** Nothing was checked (the hashing line was full, the store failed): the attempt is given back. */
  abandoned(): void;
}

export type Attempt = AttemptTicket | { readonly ok: false; readonly retryAfterMs: number };

interface Entry {
  failures: number;
  lastMs: number;
}

/**
 * Slows down repeated failed logins, per address and per account: the first few failures cost
 * nothing, then each one holds the key back twice as long as the one before, up to a cap, and an
 * attempt while held back is refused without checking anything (no hash).
 *
 * An attempt counts as a failure *before* its credentials are checked and is given back once they
 * prove right, so attempts sent in parallel cannot all pass before the first one fails. A device
 * behind the same NAT as an attacker is delayed, never locked out for good. Pure: the clock comes in.
 */
export class AuthThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly now: () => number,
    private readonly opts: ThrottleOptions = DEFAULT_THROTTLE,
  ) {}

  /** Asks to check credentials from `address` for `account` (when the attempt names one). */
  attempt(address: string, account?: string): Attempt {
    const keys = account === undefined ? [`addr:${address}`] : [`addr:${address}`, `acct:${account}`];
    const wait = Math.max(...keys.map((k) => this.heldFor(k)));
    if (wait > 0) return { ok: false, retryAfterMs: wait };
    const at = this.now();
    const before = new Map<string, number | undefined>();
    for (const k of keys) {
      const e = this.entries.get(k);
      before.set(k, e?.lastMs);
      this.entries.set(k, { failures: (e?.failures ?? 0) + 1, lastMs: at });
    }
    if (this.entries.size > 100_000) this.prune();
    let settled = false;
    // Given back whole: the count, and the time the hold runs from (unless a later attempt has
    // stamped it since), so a success does not start a new hold for the key's old failures.
    const giveBack = (k: string) => {
      const e = this.entries.get(k);
      if (!e) return;
      if (--e.failures <= 0) return void this.entries.delete(k);
      const prev = before.get(k);
      if (e.lastMs === at && prev !== undefined) e.lastMs = prev;
    };
    return {
      ok: true,
      succeeded: () => {
        if (settled) return;
        settled = true;
        giveBack(keys[0]!);
        if (keys[1]) this.entries.delete(keys[1]);
      },
      abandoned: () => {
        if (settled) return;
        settled = true;
        keys.forEach(giveBack);
      },
    };
  }

  /** How long `key` is still held back; 0 when an attempt may go ahead. */
  private heldFor(key: string): number {
    const e = this.entries.get(key);
    if (!e) return 0;
    const since = this.now() - e.lastMs;
    if (since > this.opts.forgetAfterMs) {
      this.entries.delete(key);
      return 0;
    }
    const over = e.failures - this.opts.freeFailures;
    if (over < 0) return 0;
    const hold = Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** over);
    return Math.max(0, hold - since);
  }

  private prune(): void {
    const cutoff = this.now() - this.opts.forgetAfterMs;
    for (const [k, e] of this.entries) if (e.lastMs < cutoff) this.entries.delete(k);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/**
 * An attempt that is held back waits its hold out once and asks again. A client behind the same
 * address as a guesser is delayed, not refused; of a burst sent at once, one more is checked per
 * hold and the rest are refused unhashed, answered no sooner than the hold allows.
 */
export async function attemptAfterHold(throttle: AuthThrottle, address: string, account?: string, wait: (ms: number) => Promise<void> = sleep): Promise<Attempt> {
  const first = throttle.attempt(address, account);
  if (first.ok) return first;
  await wait(first.retryAfterMs);
  return throttle.attempt(address, account);
}
