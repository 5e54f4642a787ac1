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
  /** p99 event-loop lag before intake slows */
  maxLagMs: number;
  /** the longest one admission is held */
  maxDelayMs: number;
}

export const DEFAULT_LIMITS: BackpressureLimits = { maxBacklogRecords: 500_000, maxLagMs: 200, maxDelayMs: 1_000 };

export interface Load {
  backlogRecords: number;
  lagMs: number;
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
  const backlog = load.backlogRecords / limits.maxBacklogRecords;
  const lag = load.lagMs / limits.maxLagMs;
  const level = Math.max(backlog, lag);
  if (level < 1) return { throttled: false, level, delayMs: 0 };
  const reason =
    backlog >= lag
      ? `spool backlog ${load.backlogRecords} records is over ${limits.maxBacklogRecords}: the store is not keeping up`
      : `event-loop lag ${Math.round(load.lagMs)} ms is over ${limits.maxLagMs} ms: the hub is at its capacity`;
  // Grows with the overload, so a little over the limit costs little.
  const delayMs = Math.min(limits.maxDelayMs, Math.round(20 * level ** 2));
  return { throttled: true, level, reason, delayMs };
}

/** Holds the latest assessment (made on a timer, not per message) and hands out admission delays. */
export class Backpressure {
  private current: PressureState = { throttled: false, level: 0, delayMs: 0 };

  constructor(
    private readonly limits: BackpressureLimits = DEFAULT_LIMITS,
    private readonly onChange: (s: PressureState) => void = () => undefined,
  ) {}

  update(load: Load): PressureState {
    const next = assessPressure(load, this.limits);
    if (next.throttled !== this.current.throttled) this.onChange(next);
    this.current = next;
    return next;
  }

  get state(): PressureState {
    return this.current;
  }

  /** undefined when intake may go on at once; otherwise a promise that resolves after the delay. */
  admit(): Promise<void> | undefined {
    const { delayMs } = this.current;
    return delayMs > 0 ? new Promise((resolve) => setTimeout(resolve, delayMs)) : undefined;
  }
}
