import { LogSummary } from '../../services/observability/log-summary.ts';
import type { GatewayMetrics } from './metrics.ts';
import type { GatewayLimits, GatewayLogger, TrackerLookup, TrackerProtocol } from './types.ts';

/**
 * Refused logins per address, as a token bucket: an address may be refused `burst` times in a
 * row, then `perMinute` times a minute. Past that every login from it is refused without a
 * lookup, registered or not, so an outsider cannot enumerate ids faster than that. Pure: the
 * clock comes in.
 */
export class RefusedLogins {
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();

  constructor(
    private readonly now: () => number,
    private readonly opts: { burst: number; perMinute: number },
  ) {}

  /** Whether logins from `address` are refused unseen for now. */
  blocked(address: string): boolean {
    return this.tokens(address) < 1;
  }

  refused(address: string): void {
    this.buckets.set(address, { tokens: this.tokens(address) - 1, atMs: this.now() });
    if (this.buckets.size > 100_000) this.prune();
  }

  private tokens(address: string): number {
    const b = this.buckets.get(address);
    if (!b) return this.opts.burst;
    const refill = ((this.now() - b.atMs) * this.opts.perMinute) / 60_000;
    return Math.min(this.opts.burst, b.tokens + refill);
  }

  private prune(): void {
    for (const [address, b] of this.buckets) if (this.tokens(address) >= this.opts.burst || this.now() - b.atMs > 3_600_000) this.buckets.delete(address);
  }
}

/** How a gateway's sessions ask for a tracker at login. */
export interface LoginGuard {
  /**
   * The tracker logging in as `loginId` from `address`, or null to refuse it: not registered, or
   * the address was refused too often lately (then nothing is looked up). Counted and logged.
   */
  check(address: string, loginId: string): Promise<{ deviceId: string } | null>;
  /** A login refused before any lookup (a malformed login packet): counted against the address too. */
  refuse(address: string, reason: string): void;
  /** Writes what the log still holds back. */
  close(): void;
}

/**
 * Refused logins are logged at a bounded rate: the first of a minute in full, the rest as one
 * summary line with their count and a few addresses, however many arrive.
 */
export function createLoginGuard(protocol: TrackerProtocol, lookup: TrackerLookup, deps: { limits: GatewayLimits; metrics: GatewayMetrics; logger: GatewayLogger; now: () => number }): LoginGuard {
  const { limits, metrics, logger } = deps;
  const refusals = new RefusedLogins(deps.now, { burst: limits.refusedLoginBurst, perMinute: limits.refusedLoginsPerMinute });
  const log = new LogSummary<object>(limits.refusalLogIntervalMs, {
    first: (detail) => logger.info(detail, `${protocol}: login refused`),
    summary: (count, addresses, intervalMs) => logger.info({ count, addresses, intervalS: intervalMs / 1000 }, `${protocol}: more logins refused in this interval`),
  });
  const refuse = (address: string, detail: object) => {
    refusals.refused(address);
    log.note(address, { address, ...detail });
  };
  return {
    async check(address, loginId) {
      if (refusals.blocked(address)) {
        metrics.frame('login-throttled');
        log.note(address, { address, reason: 'too many refused logins from this address' });
        return null;
      }
      const found = await lookup(protocol, loginId);
      if (!found) {
        metrics.frame('unknown-imei');
        refuse(address, { loginId: loginId.slice(0, 64), reason: 'not registered' });
      }
      return found;
    },
    refuse(address, reason) {
      refuse(address, { reason });
    },
    close: () => log.flush(),
  };
}
