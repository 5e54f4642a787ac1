/**
 * Slows intake down instead of letting the hub collapse. aedes falls over past ~1.5× its
 * capacity; what saves it is fewer messages in, not faster work. The broker and the gateways
 * read the next frames of a connection only after the current ones are accepted, so delaying
 * acceptance delays reading, and TCP pushes back on the senders — the busiest connections the
 * most, since they have the most messages waiting. Nothing acknowledged is ever dropped:
 * throttling only makes acknowledgements later.
 */
export interface BackpressureLimits {
  /** spool records not yet in the store before intake slows */
  maxBacklogRecords: number;
  /**
   * spool bytes not yet in the store before intake slows; set by `withSpoolLimit` below the
   * spool's hard limit (SPOOL_MAX_BYTES), where appends are refused. Default: no limit.
   */
  maxBacklogBytes?: number;
  /** p99 event-loop lag before intake slows */
  maxLagMs: number;
  /**
   * messages taken off sockets and not yet kept before intake slows. A flood shows here first,
   * at once, while lag is only sampled a few times a second.
   */
  maxInFlight: number;
  /** the longest one admission is held */
  maxDelayMs: number;
  /** how long intake stays marked as slowed after the last overload, so health does not flap */
  holdMs: number;
}

export const DEFAULT_LIMITS: BackpressureLimits = { maxBacklogRecords: 500_000, maxLagMs: 500, maxInFlight: 50_000, maxDelayMs: 1_000, holdMs: 3_000 };

/** The share of the spool's byte limit past which intake slows, before it is refused at the limit. */
export const SLOW_AT_SPOOL_SHARE = 0.8;

/**
 * Limits for a spool bounded at `spoolMaxBytes`: intake slows once the backlog passes 80 % of
 * it (more the closer it gets), and the spool refuses appends at 100 % (not acknowledged).
 */
export function withSpoolLimit(limits: BackpressureLimits, spoolMaxBytes: number): BackpressureLimits {
  return { ...limits, maxBacklogBytes: Math.floor(spoolMaxBytes * SLOW_AT_SPOOL_SHARE) };
}

const MIB = 1024 * 1024;
const mib = (bytes: number): string => `${(bytes / MIB).toFixed(bytes < 10 * MIB ? 1 : 0)} MiB`;

export interface Load {
  backlogRecords: number;
  /** default 0 */
  backlogBytes?: number;
  lagMs: number;
  inFlight: number;
}

export interface PressureState {
  throttled: boolean;
  /** 0 when fine; ≥ 1 how many times over its limit the worst signal is */
  level: number;
  reason?: string;
  delayMs: number;
}

/** Pure: what to do at a given load. */
export function assessPressure(load: Load, limits: BackpressureLimits): PressureState {
  const signals: [number, string][] = [
    [load.backlogRecords / limits.maxBacklogRecords, `spool backlog ${load.backlogRecords} records is over ${limits.maxBacklogRecords}: the store is not keeping up`],
    [
      limits.maxBacklogBytes === undefined ? 0 : (load.backlogBytes ?? 0) / limits.maxBacklogBytes,
      `spool backlog ${mib(load.backlogBytes ?? 0)} is over ${mib(limits.maxBacklogBytes ?? 0)} (${SLOW_AT_SPOOL_SHARE * 100} % of the spool's limit): the store is not keeping up, and at the limit intake is refused`,
    ],
    [load.lagMs / limits.maxLagMs, `event-loop lag ${Math.round(load.lagMs)} ms is over ${limits.maxLagMs} ms: the hub is at its capacity`],
    [load.inFlight / limits.maxInFlight, `${load.inFlight} messages taken in and not yet acknowledged, over ${limits.maxInFlight}: more is coming in than the hub can take`],
  ];
  const [level, reason] = signals.reduce((worst, s) => (s[0] > worst[0] ? s : worst));
  if (level < 1) return { throttled: false, level, delayMs: 0 };
  // Grows with the overload, so a little over the limit costs little.
  const delayMs = Math.min(limits.maxDelayMs, Math.round(20 * level ** 2));
  return { throttled: true, level, reason, delayMs };
}

/**
 * Holds the latest assessment (made on a timer, not per message), counts the messages in
 * flight, and hands out admission delays.
 */
export class Backpressure {
  private current: PressureState = { throttled: false, level: 0, delayMs: 0 };
  private lastOverloadMs = Number.NEGATIVE_INFINITY;
  private lastReason = '';
  private inFlight = 0;

  constructor(
    private readonly now: () => number,
    private readonly limits: BackpressureLimits = DEFAULT_LIMITS,
    private readonly onChange: (s: PressureState) => void = () => undefined,
  ) {}

  /** `waitingAcks`: messages kept whose acknowledgement waits for its turn (see the broker). */
  update(load: Omit<Load, 'inFlight'> & { waitingAcks?: number }): PressureState {
    const { waitingAcks = 0, ...rest } = load;
    const assessed = assessPressure({ ...rest, inFlight: this.inFlight + waitingAcks }, this.limits);
    const now = this.now();
    if (assessed.throttled) {
      this.lastOverloadMs = now;
      this.lastReason = assessed.reason!;
    }
    // Within the hold time after an overload intake counts as slowed (health says so), though
    // admissions are no longer delayed once the load is back under its limits.
    const held = !assessed.throttled && now - this.lastOverloadMs < this.limits.holdMs;
    const next: PressureState = held ? { ...assessed, throttled: true, reason: this.lastReason } : assessed;
    if (next.throttled !== this.current.throttled) this.onChange(next);
    this.current = next;
    return next;
  }

  get state(): PressureState {
    return this.current;
  }

  /**
   * Call once per message before it is kept, and `done()` after. Answers undefined when intake
   * may go on at once, otherwise a promise that resolves after the delay. A flood is delayed
   * at once, without waiting for the next assessment.
   */
  admit(): Promise<void> | undefined {
    this.inFlight++;
    let { delayMs } = this.current;
    if (this.inFlight > this.limits.maxInFlight) delayMs = Math.max(delayMs, assessPressure({ backlogRecords: 0, lagMs: 0, inFlight: this.inFlight }, this.limits).delayMs);
    return delayMs > 0 ? new Promise((resolve) => setTimeout(resolve, delayMs)) : undefined;
  }

  done(): void {
    this.inFlight--;
  }
}
