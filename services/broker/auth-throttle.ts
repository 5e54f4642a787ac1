export interface ThrottleOptions {
  /** failures of a key that cost nothing */
  freeFailures: number;
  /** the hold after the first failure past the free ones; it doubles with each further one */
  baseDelayMs: number;
  maxDelayMs: number;
  /** a key quiet for this long starts afresh */
  forgetAfterMs: number;
  /**
   * Whether an attempt is charged to its address before its credentials are checked (true), or
   * only once they prove wrong (false). The account is always charged before. Devices of a fleet
   * share a carrier's NAT address and log in all at once after an outage: charging their address
   * up front would hold the fourth one back. Their parallel guesses are still bounded per account,
   * by `maxPendingPerAddress` and by the hashing line.
   */
  chargeAddressUpFront: boolean;
  /** attempts from one address whose check is still running; past this an attempt is refused */
  maxPendingPerAddress: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = {
  freeFailures: 3, baseDelayMs: 250, maxDelayMs: 30_000, forgetAfterMs: 15 * 60_000, chargeAddressUpFront: true, maxPendingPerAddress: 64,
};

/** For device logins over MQTT: a fleet behind one NAT address logs in at once. */
export const DEVICE_THROTTLE: ThrottleOptions = { ...DEFAULT_THROTTLE, chargeAddressUpFront: false, maxPendingPerAddress: 2048 };

/** One login attempt that was let through: say how it ended. */
export interface AttemptTicket {
  readonly ok: true;
  /** The credentials were right: the account starts afresh, the address's count is given back. */
  succeeded(): void;
  /** Nothing was checked (the hashing line was full, the store failed): the attempt is given back. */
  abandoned(): void;
  /** The credentials were wrong (charges the address when it was not charged up front). */
  failed(): void;
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
  private readonly pending = new Map<string, number>();

  constructor(
    /** The clock holds are measured on. */
    readonly now: () => number,
    private readonly opts: ThrottleOptions = DEFAULT_THROTTLE,
  ) {}

  /** Asks to check credentials from `address` for `account` (when the attempt names one). */
  attempt(address: string, account?: string): Attempt {
    const addrKey = `addr:${address}`;
    const acctKey = account === undefined ? undefined : `acct:${account}`;
    const keys = acctKey ? [addrKey, acctKey] : [addrKey];
    const wait = Math.max(...keys.map((k) => this.heldFor(k)));
    if (wait > 0) return { ok: false, retryAfterMs: wait };
    const inFlight = this.pending.get(address) ?? 0;
    if (inFlight >= this.opts.maxPendingPerAddress) return { ok: false, retryAfterMs: this.opts.baseDelayMs };
    this.pending.set(address, inFlight + 1);
    // An anonymous attempt has no account to charge: its address is charged up front.
    const upFront = this.opts.chargeAddressUpFront || !acctKey ? keys : [acctKey];
    const at = this.now();
    const before = new Map<string, number | undefined>();
    for (const k of upFront) {
      before.set(k, this.entries.get(k)?.lastMs);
      this.charge(k, at);
    }
    if (this.entries.size > 100_000) this.prune();
    let settled = false;
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      const left = (this.pending.get(address) ?? 1) - 1;
      if (left > 0) this.pending.set(address, left);
      else this.pending.delete(address);
      return true;
    };
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
        if (!settle()) return;
        if (upFront.includes(addrKey)) giveBack(addrKey);
        if (acctKey) this.entries.delete(acctKey);
      },
      abandoned: () => {
        if (settle()) upFront.forEach(giveBack);
      },
      failed: () => {
        if (settle() && !upFront.includes(addrKey)) this.charge(addrKey);
      },
    };
  }

  private charge(key: string, at = this.now()): void {
    const e = this.entries.get(key);
    this.entries.set(key, { failures: (e?.failures ?? 0) + 1, lastMs: at });
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
 *
 * The hold is measured on the throttle's clock (Date.now in the hub), while a timer runs on the
 * event loop's own clock, which is read once per turn: a timer of `retryAfterMs` often wakes a
 * millisecond or more before the hold is over by Date.now, and asking then refused one right
 * login in five after a hold (CONNACK 3 to a device, 429 to a user). So the wait goes on until
 * the throttle's clock says the hold is over (a few more short waits at most).
 */
export async function attemptAfterHold(throttle: AuthThrottle, address: string, account?: string, wait: (ms: number) => Promise<void> = sleep): Promise<Attempt> {
  const first = throttle.attempt(address, account);
  if (first.ok) return first;
  const until = throttle.now() + first.retryAfterMs;
  await wait(first.retryAfterMs);
  for (let extra = 0; extra < 5 && throttle.now() < until; extra++) await wait(until - throttle.now());
  return throttle.attempt(address, account);
}
