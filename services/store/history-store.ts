/**
 * The history store: where every accepted measurement ends up. Two implementations —
 * InfluxDB over its v1 HTTP API, and an embedded SQLite store — pass one contract suite
 * (test/store/history-store.contract.ts).
 */

import type { MeasurementSpec } from '../platform/domain-module.ts';

export type { MeasurementSpec };

/**
 * A measurement's name: a plain identifier (`NAME` of points.ts). Each domain registers its own
 * (`registerMeasurement`); the store itself knows none of them.
 */
export type Measurement = string;
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

/** Calendar buckets: local hours, days or months of a time zone. */
export type CalendarUnit = 'hour' | 'day' | 'month';

/**
 * One bucket per interval with data. Give either `bucketMs` (fixed widths from the epoch) or
 * `every` (calendar buckets in `tz`).
 */
export interface AggregateQuery {
  measurement: Measurement;
  field: string;
  fn: AggregateFn;
  tags: Record<string, string>;
  from: number;
  to: number;
  /** bucket width; buckets start at multiples of it since the epoch (UTC) */
  bucketMs?: number;
  /**
   * Calendar buckets starting at each local hour, day or month of `tz`, right across DST: a
   * local day is 23, 24 or 25 hours long. The first bucket is the one holding `from`.
   */
  every?: CalendarUnit;
  /** IANA time zone of `every`, e.g. `Europe/Kyiv`; default `UTC` */
  tz?: string;
  /** A tag key: buckets per value of that tag (series without it in the group ''). */
  groupBy?: string;
}

export interface Bucket {
  /** start of the bucket, epoch ms UTC */
  ts: number;
  value: number | null;
  /** the `groupBy` tag's value, when the query had one ('' for series without the tag) */
  group?: string;
}

export interface StoreStatus {
  ok: boolean;
  detail?: string;
}

export interface HistoryStore {
  /** Creates the database/tables when missing. */
  init(): Promise<void>;
  /**
   * Declares a measurement a domain keeps, with the tags (besides `device`) that identify its
   * series. Idempotent; registering a name again adds the tags it did not have. Throws a
   * RangeError naming a name that is not a plain identifier. Points of a measurement nobody
   * registered are still stored (the stores are schemaless, as InfluxDB is).
   */
  registerMeasurement(spec: MeasurementSpec): void;
  /** The measurements registered, in the order they were first registered. */
  measurements(): MeasurementSpec[];
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
  /**
   * One bucket per interval with data, in time order (by group first when `groupBy` is given,
   * groups in byte order of their values). Throws a RangeError naming a bad bucket, zone or key.
   */
  aggregate(query: AggregateQuery): Promise<Bucket[]>;
  /** How many points match (for checks of loss and duplication). */
  count(measurement: Measurement, tags?: Record<string, string>): Promise<number>;
  status(): Promise<StoreStatus>;
  close(): Promise<void>;
  readonly kind: 'influxdb' | 'sqlite';
  readonly maxBatch: number;
}
