import { calendarBounds, checkUnit, checkZone } from './calendar.ts';
import type { AggregateQuery, Bucket, FieldValue, HistoryPoint, MeasurementSpec } from './history-store.ts';
import { MAX_TIME_MS, MIN_TIME_MS } from './influxql.ts';

/**
 * Rules both history stores apply to every point before it is written, so that the embedded
 * store accepts exactly what InfluxDB accepts and hands back the same shapes.
 */

/** A write the store refused or could not make. */
export class HistoryStoreError extends Error {
  override readonly name = 'HistoryStoreError';
  /**
   * true: the store is down, overloaded or misconfigured; the same batch can succeed later
   * (keep it in the spool). false: the store refused the data itself (bad point, field type
   * conflict); sending it again fails again.
   */
  readonly retryable: boolean;
  /** HTTP status when the store answered one. */
  readonly status: number | undefined;

  constructor(message: string, opts: { retryable: boolean; status?: number; cause?: unknown }) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.retryable = opts.retryable;
    this.status = opts.status;
  }
}

/** Measurement, tag and field names: plain identifiers, so they need no quoting anywhere. */
export const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

// InfluxDB refuses longer string fields (1.x: 64 KiB).
const MAX_STRING_BYTES = 65_535;
const MAX_TAG_VALUE_LENGTH = 1024;

export type FieldType = 'float' | 'boolean' | 'string';

export function fieldType(value: FieldValue): FieldType {
  return typeof value === 'number' ? 'float' : typeof value === 'boolean' ? 'boolean' : 'string';
}

function refuse(index: number, problem: string): never {
  throw new HistoryStoreError(`point ${index} refused: ${problem}`, { retryable: false });
}

/**
 * Checks one point and hands its tags, then its fields, to the callbacks in canonical order:
 * sorted by key, tags with an empty value left out (InfluxDB treats an empty tag as an absent
 * one). Throws a non-retryable HistoryStoreError naming the problem. The one place of the rules:
 * `normalizePoint` builds the canonical point with it, `encodeLine` the line protocol.
 */
export function visitPoint(point: HistoryPoint, index: number, onTag: (key: string, value: string) => void, onField: (key: string, value: FieldValue) => void): void {
  if (typeof point !== 'object' || point === null) refuse(index, 'not an object');
  const { measurement, tags, fields, ts } = point;
  if (typeof measurement !== 'string' || !NAME.test(measurement)) refuse(index, `measurement ${JSON.stringify(measurement)} is not a plain name`);
  if (!Number.isSafeInteger(ts) || ts < MIN_TIME_MS || ts > MAX_TIME_MS) refuse(index, `ts ${String(ts)} is not whole epoch milliseconds within years 1677–2262`);
  if (typeof tags !== 'object' || tags === null) refuse(index, 'tags missing');
  if (typeof fields !== 'object' || fields === null) refuse(index, 'fields missing');

  let device = false;
  for (const key of Object.keys(tags).sort()) {
    const value = tags[key];
    if (!NAME.test(key) || key === 'time') refuse(index, `tag key ${JSON.stringify(key)} is not a plain name`);
    if (typeof value !== 'string') refuse(index, `tag ${key} is not a string`);
    if (value.length > MAX_TAG_VALUE_LENGTH) refuse(index, `tag ${key} is longer than ${MAX_TAG_VALUE_LENGTH} characters`);
    if (value === '') continue;
    if (key === 'device') device = true;
    onTag(key, value);
  }
  if (!device) refuse(index, 'tag device is missing or empty');

  let count = 0;
  for (const key of Object.keys(fields).sort()) {
    const value = fields[key];
    if (!NAME.test(key) || key === 'time') refuse(index, `field key ${JSON.stringify(key)} is not a plain name`);
    if (Object.hasOwn(tags, key)) refuse(index, `${key} is both a tag and a field`);
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) refuse(index, `field ${key} is not a finite number`);
    } else if (typeof value === 'string') {
      if (Buffer.byteLength(value, 'utf8') > MAX_STRING_BYTES) refuse(index, `field ${key} is longer than ${MAX_STRING_BYTES} bytes`);
    } else if (typeof value !== 'boolean') {
      refuse(index, `field ${key} is neither a number, a boolean nor a string`);
    }
    count++;
    onField(key, value);
  }
  if (count === 0) refuse(index, 'no fields');
}

/** One point in canonical form (see `visitPoint`), or a non-retryable HistoryStoreError. */
export function normalizePoint(point: HistoryPoint, index: number): HistoryPoint {
  const tags: Record<string, string> = {};
  const fields: Record<string, FieldValue> = {};
  visitPoint(point, index, (k, v) => (tags[k] = v), (k, v) => (fields[k] = v));
  return { measurement: point.measurement, tags, fields, ts: point.ts };
}

export function normalizePoints(points: readonly HistoryPoint[]): HistoryPoint[] {
  return points.map((p, i) => normalizePoint(p, i));
}

/** The identity of a series within a measurement: its tags as JSON with sorted keys. */
export function seriesKey(tags: Record<string, string>): string {
  const sorted: Record<string, string> = {};
  for (const key of Object.keys(tags).sort()) {
    const value = tags[key];
    if (value !== undefined && value !== '') sorted[key] = value;
  }
  return JSON.stringify(sorted);
}

/** Byte order of the UTF-8 forms, as SQLite compares text, so ties sort alike in both stores. */
export function compareKeys(a: string, b: string): number {
  return a === b ? 0 : Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Time order, ties (points of different series at one instant) by series key. */
export function comparePoints(a: HistoryPoint, b: HistoryPoint): number {
  return a.ts - b.ts || compareKeys(seriesKey(a.tags), seriesKey(b.tags));
}

/** A range's limit as a whole number ≥ 0, or undefined for none. */
export function checkLimit(limit: number | undefined): number | undefined {
  if (limit === undefined) return undefined;
  if (!Number.isFinite(limit) || limit < 0) throw new RangeError(`limit must be a whole number ≥ 0, got ${limit}`);
  return Math.trunc(limit);
}

/** Tag filters whose key cannot exist match nothing; the stores answer those without asking. */
export function filterCanMatch(tags: Record<string, string>): boolean {
  return Object.keys(tags).every((k) => NAME.test(k) && typeof tags[k] === 'string');
}

/** Of several series of one device (its tags changed), the newest point wins. */
export function latestPerDevice(points: readonly HistoryPoint[]): HistoryPoint[] {
  const byDevice = new Map<string, HistoryPoint>();
  for (const p of points) {
    const device = p.tags.device ?? '';
    const seen = byDevice.get(device);
    if (seen === undefined || p.ts > seen.ts || (p.ts === seen.ts && compareKeys(seriesKey(p.tags), seriesKey(seen.tags)) > 0)) byDevice.set(device, p);
  }
  return [...byDevice.entries()].sort(([a], [b]) => compareKeys(a, b)).map(([, p]) => p);
}

export interface StoreLogger {
  warn(obj: object, msg?: string): void;
}

/** The measurements domains registered with a store; the same for both stores. */
export class MeasurementRegistry {
  private readonly specs = new Map<string, Set<string>>();

  register(spec: MeasurementSpec): void {
    if (typeof spec !== 'object' || spec === null) throw new RangeError('measurement spec must be an object {name, tags}');
    if (typeof spec.name !== 'string' || !NAME.test(spec.name)) throw new RangeError(`measurement name ${JSON.stringify(spec.name)} is not a plain name (letters, digits, _)`);
    if (!Array.isArray(spec.tags)) throw new RangeError(`tags of measurement ${spec.name} must be a list of tag keys`);
    for (const tag of spec.tags) {
      if (typeof tag !== 'string' || !NAME.test(tag) || tag === 'time') throw new RangeError(`tag ${JSON.stringify(tag)} of measurement ${spec.name} is not a plain name`);
    }
    let tags = this.specs.get(spec.name);
    if (tags === undefined) this.specs.set(spec.name, (tags = new Set()));
    for (const tag of spec.tags) if (tag !== 'device') tags.add(tag);
  }

  list(): MeasurementSpec[] {
    return [...this.specs].map(([name, tags]) => ({ name, tags: [...tags] }));
  }
}

/** How an aggregate is bucketed: fixed widths, or calendar bounds (see calendar.ts). */
export type Bucketing = { kind: 'fixed'; bucketMs: number } | { kind: 'calendar'; unit: NonNullable<AggregateQuery['every']>; tz: string; bounds: number[] };

/** Checks an aggregate's bucketing and group key; throws a RangeError naming the field. */
export function checkAggregate(query: AggregateQuery): Bucketing {
  if (query.groupBy !== undefined && (typeof query.groupBy !== 'string' || !NAME.test(query.groupBy))) {
    throw new RangeError(`groupBy ${JSON.stringify(query.groupBy)} is not a tag key`);
  }
  if (query.every !== undefined) {
    if (query.bucketMs !== undefined) throw new RangeError('give either bucketMs or every, not both');
    const unit = checkUnit(query.every);
    const tz = checkZone(query.tz);
    if (Number.isNaN(query.from) || Number.isNaN(query.to)) throw new RangeError('time must be a number');
    return { kind: 'calendar', unit, tz, bounds: calendarBounds(query.from, query.to, unit, tz) };
  }
  if (query.tz !== undefined) throw new RangeError('tz applies to calendar buckets (every), not to bucketMs');
  const b = query.bucketMs;
  if (b === undefined || !Number.isSafeInteger(b) || b <= 0) throw new RangeError(`bucketMs must be a positive whole number, got ${b}`);
  return { kind: 'fixed', bucketMs: b };
}

/** By group (byte order of values), then time. */
export function sortBuckets(buckets: Bucket[]): Bucket[] {
  return buckets.sort((a, b) => compareKeys(a.group ?? '', b.group ?? '') || a.ts - b.ts);
}
