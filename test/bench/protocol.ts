/** Messages between the bench and its load-generator processes (Node IPC, advanced serialization). */

export interface BenchDevice {
  id: string;
  secret: string;
  /** index of the device in the whole run: vehicle `bench-veh-{index}` */
  index: number;
}

export type ToGenerator =
  | { type: 'connect'; port: number; devices: BenchDevice[]; clientIdPrefix: string }
  | {
      type: 'run';
      /** closed: `window` messages in flight per connection; open: a fixed total `rate` */
      mode: 'closed' | 'open';
      window: number;
      rate: number;
      durationMs: number;
      /** closed loop: ts = tsBase + per-device sequence (unique, in the past); open loop: wall-clock ms */
      tsBase: number;
      /** open loop: send back every message's publish and PUBACK time */
      record: boolean;
      /** how long to wait for the last PUBACKs after the run */
      settleMs: number;
    }
  | { type: 'close' };

export interface RunResult {
  published: number;
  acked: number;
  /** publishes whose callback reported an error */
  failed: number;
  /** published, never acknowledged before the settle deadline */
  unacked: number;
  /** open loop: messages not sent because a connection already had too many in flight */
  skipped: number;
  /** PUBACKs inside the measuring window (from `run` to its end), the base of msgs/s */
  ackedInWindow: number;
  windowMs: number;
  /** from the start of the run to its last PUBACK, ms (0 if none came) */
  lastAckMs: number;
  /** acknowledgements per second of the window */
  perSecond: number[];
  /** publish → PUBACK, histogram of 0.05 ms buckets (stats.ts) */
  ackHistogram: Uint32Array;
  /** acknowledged messages per device index */
  ackedByDevice: Record<number, number>;
  /** smallest and largest ts sent */
  tsMin: number;
  tsMax: number;
  /** open loop with `record`: flat [deviceIndex, ts, publishWallMs, ackWallMs(NaN if none)] */
  records: Float64Array;
}

export type FromGenerator =
  | { type: 'connected'; count: number; failures: string[] }
  | { type: 'started' }
  | { type: 'result'; result: RunResult }
  | { type: 'error'; message: string };
