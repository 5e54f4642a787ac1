/**
 * The history store: where every accepted measurement ends up. Two implementations —
 * InfluxDB over its v1 HTTP API, and an embedded SQLite store — pass one contract suite
 * (test/store/history-store.contract.ts).
 */

export type Measurement = 'position' | 'lighting_state' | 'energy_reading';
export type FieldValue = number | boolean | string;

/**
 * One point. The series is (measurement, tags); a point is identified by series and `ts`, so
 * writing the same point again replaces it: writes are idempotent, replays duplicate nothing.
 */
export interface HistoryPoint {
  measurement: Measurement;
  /** Always has `device`; more tags (e.g. `vehicle`) must be stable for the device. */
  tags: Record<string, string>;
  fields: Record<string, FieldValue>;
  /** epoch milliseconds, UTC */
  ts: number;
}

export interface RangeQuery {
  measurement: Measurement;
  /** tag equality filters, e.g. `{ vehicle: 'TB-12' }` */
  tags: Record<string, string>;
  from: number;
  to: number;
  limit?: number;
}

export type AggregateFn = 'mean' | 'min' | 'max' | 'sum' | 'count' | 'first' | 'last';

export interface AggregateQuery {
  measurement: Measurement;
  field: string;
  fn: AggregateFn;
  tags: Record<string, string>;
  from: number;
  to: number;
  /** bucket width; buckets start at multiples of it since the epoch (UTC) */
  bucketMs: number;
}

export interface Bucket {
  ts: number;
  value: number | null;
}

export interface StoreStatus {
  ok: boolean;
  detail?: string;
}

export interface HistoryStore {
  /** Creates the database/tables when missing. */
  init(): Promise<void>;
  /** Writes a batch (at most `maxBatch` points); resolves once the store has confirmed it. */
  write(points: readonly HistoryPoint[]): Promise<void>;
  /**
   * Writes spool records (at most `maxBatch`): points as line protocol, as `encodeRecord` of
   * line-protocol.ts makes them (or, from a spool of an older hub, a point's JSON). Same
   * guarantees as `write`.
   */
  writeLines(records: readonly Uint8Array[]): Promise<void>;
  /** Points of the series matching the filter, from ≤ ts ≤ to, in time order. */
  range(query: RangeQuery): Promise<HistoryPoint[]>;
  /** The latest point of each device of the measurement. */
  latest(measurement: Measurement, tags?: Record<string, string>): Promise<HistoryPoint[]>;
  /** One bucket per interval with data, in time order. */
  aggregate(query: AggregateQuery): Promise<Bucket[]>;
  /** How many points match (for checks of loss and duplication). */
  count(measurement: Measurement, tags?: Record<string, string>): Promise<number>;
  status(): Promise<StoreStatus>;
  close(): Promise<void>;
  readonly kind: 'influxdb' | 'sqlite';
  readonly maxBatch: number;
}
