import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import type {
  AggregateQuery,
  Bucket,
  FieldValue,
  HistoryPoint,
  HistoryStore,
  Measurement,
  MeasurementSpec,
  RangeQuery,
  StoreStatus,
} from './history-store.ts';
import { MAX_TIME_MS, MIN_TIME_MS, durationLiteral, identifier, stringLiteral, whereClause } from './influxql.ts';
import { decodeTagValue, encodeRecord, encodeTagValue, joinRecords } from './line-protocol.ts';
import {
  HistoryStoreError,
  MeasurementRegistry,
  NAME,
  checkAggregate,
  checkLimit,
  comparePoints,
  filterCanMatch,
  latestPerDevice,
  sortBuckets,
  type StoreLogger,
} from './points.ts';

const gzip = promisify(gzipCallback);
const ENCODE_SLICE = 500;
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface InfluxStoreOptions {
  /** base URL, e.g. http://localhost:8086 (a path prefix behind a proxy is kept) */
  url: string;
  database: string;
  username?: string | undefined;
  password?: string | undefined;
  /** sent as `Authorization: Token ...` (2.x/3.x); wins over username/password */
  token?: string | undefined;
  /** per HTTP request */
  timeoutMs?: number;
  /**
   * Compress write bodies. Default: on, except for an InfluxDB on this machine, where
   * compressing costs both processes CPU and saves nothing that matters.
   */
  gzip?: boolean;
  logger?: StoreLogger | undefined;
}

interface InfluxSeries {
  name?: string;
  tags?: Record<string, string>;
  columns?: string[];
  values?: unknown[][];
}

interface InfluxResult {
  statement_id?: number;
  series?: InfluxSeries[];
  error?: string;
}

interface InfluxResponse {
  results?: InfluxResult[];
  error?: string;
}

const FULL_RANGE = { from: MIN_TIME_MS, to: MAX_TIME_MS };

/** Status codes that mean "this data will never be accepted", as opposed to "not now". */
const REFUSED = new Set([400, 413, 422]);

function describe(err: unknown): string {
  if (err instanceof Error) {
    if (err.name === 'TimeoutError') return 'no answer in time';
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const detail = cause?.code ?? cause?.message;
    return detail !== undefined ? `${err.message} (${detail})` : err.message;
  }
  return String(err);
}

/** The body's `error` text when it is Influx's JSON error, else the body itself, shortened. */
function errorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
    if (typeof parsed.error === 'string') return parsed.error;
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON: a proxy's page or plain text
  }
  const text = body.trim();
  return text.length > 500 ? `${text.slice(0, 500)}…` : text || '(empty body)';
}

/**
 * The history store on InfluxDB, through the v1 HTTP API only (`/write` with line protocol,
 * `/query` with InfluxQL, `/ping`): the one API InfluxDB 1.x, 2.x and 3.x all serve.
 */
export class InfluxHistoryStore implements HistoryStore {
  readonly kind = 'influxdb' as const;
  readonly maxBatch = 5000;
  private readonly base: string;
  /** the URL without credentials, for messages */
  private readonly shownUrl: string;
  private readonly database: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  /** whether write bodies are compressed (the `gzip` option as resolved) */
  readonly gzip: boolean;
  private readonly logger: StoreLogger | undefined;
  private readonly registry = new MeasurementRegistry();

  constructor(opts: InfluxStoreOptions) {
    const url = new URL(opts.url);
    const user = opts.username ?? (url.username !== '' ? decodeURIComponent(url.username) : undefined);
    const password = opts.password ?? (url.password !== '' ? decodeURIComponent(url.password) : undefined);
    url.username = '';
    url.password = '';
    url.search = '';
    url.hash = '';
    this.base = url.toString().replace(/\/+$/, '');
    this.shownUrl = this.base;
    this.database = opts.database;
    this.timeoutMs = opts.timeoutMs ?? 15_000;
    this.gzip = opts.gzip ?? !LOOPBACK.test(url.hostname);
    this.logger = opts.logger;
    this.headers = {};
    if (opts.token !== undefined) this.headers.authorization = `Token ${opts.token}`;
    else if (user !== undefined) this.headers.authorization = `Basic ${Buffer.from(`${user}:${password ?? ''}`).toString('base64')}`;
  }

  async init(): Promise<void> {
    const [databases] = await this.query(['SHOW DATABASES'], false);
    const names = (databases ?? []).flatMap((s) => (s.values ?? []).map((row) => row[0]));
    if (names.includes(this.database)) return;
    await this.query([`CREATE DATABASE ${identifier(this.database)}`], false);
    this.logger?.warn({ url: this.shownUrl, database: this.database }, 'InfluxDB database created');
  }

  registerMeasurement(spec: MeasurementSpec): void {
    this.registry.register(spec);
  }

  measurements(): MeasurementSpec[] {
    return this.registry.list();
  }

  async write(points: readonly HistoryPoint[]): Promise<void> {
    // Check every point before anything is sent: a bad one refuses the whole call.
    const records: Buffer[] = [];
    for (let i = 0; i < points.length; i++) {
      // Encoding thousands of points is milliseconds: give the event loop (device traffic,
      // live pushes) a turn now and then instead of stalling it.
      if (i > 0 && i % ENCODE_SLICE === 0) await yieldToEventLoop();
      records.push(encodeRecord(points[i]!, i));
    }
    await this.writeLines(records);
  }

  async writeLines(lines: readonly Uint8Array[]): Promise<void> {
    for (let i = 0; i < lines.length; i += this.maxBatch) await this.post(joinRecords(lines.slice(i, i + this.maxBatch)), Math.min(this.maxBatch, lines.length - i));
  }

  private async post(lines: Buffer<ArrayBuffer>, count: number): Promise<void> {
    // Level 1: several times cheaper than the default and nearly as small for line protocol.
    const body = this.gzip ? await gzip(lines, { level: 1 }) : lines;
    const params = new URLSearchParams({ db: this.database, precision: 'ms' });
    let res: Response;
    try {
      res = await fetch(`${this.base}/write?${params.toString()}`, {
        method: 'POST',
        headers: { ...this.headers, 'content-type': 'text/plain; charset=utf-8', ...(this.gzip ? { 'content-encoding': 'gzip' } : {}) },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new HistoryStoreError(`InfluxDB write to ${this.shownUrl} failed: ${describe(err)}`, { retryable: true, cause: err });
    }
    const text = await res.text().catch(() => '');
    if (res.ok) return;
    const retryable = !REFUSED.has(res.status);
    const message = `InfluxDB write failed: HTTP ${res.status}: ${errorText(text)}`;
    if (!retryable) this.logger?.warn({ status: res.status, lines: count }, message);
    throw new HistoryStoreError(message, { retryable, status: res.status });
  }

  /**
   * Runs statements and returns each one's series. Chunked, so a server's `max-row-limit`
   * cannot silently cut a long range short.
   */
  private async query(statements: string[], useDb = true): Promise<InfluxSeries[][]> {
    const form = new URLSearchParams({ q: statements.join(';\n'), epoch: 'ms', chunked: 'true', chunk_size: '10000' });
    if (useDb) form.set('db', this.database);
    let res: Response;
    let text: string;
    try {
      res = await fetch(`${this.base}/query`, {
        method: 'POST',
        headers: { ...this.headers, 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await res.text();
    } catch (err) {
      throw new HistoryStoreError(`InfluxDB query to ${this.shownUrl} failed: ${describe(err)}`, { retryable: true, cause: err });
    }
    if (!res.ok) throw new HistoryStoreError(`InfluxDB query failed: HTTP ${res.status}: ${errorText(text)}`, { retryable: !REFUSED.has(res.status), status: res.status });

    const out: InfluxSeries[][] = statements.map(() => []);
    // Series split over chunks come back as several parts with the same name and tags.
    const byKey = statements.map(() => new Map<string, InfluxSeries>());
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      let chunk: InfluxResponse;
      try {
        chunk = JSON.parse(line) as InfluxResponse;
      } catch {
        throw new HistoryStoreError(`InfluxDB query answered something that is not JSON: ${errorText(line)}`, { retryable: true, status: res.status });
      }
      if (typeof chunk.error === 'string') throw new HistoryStoreError(`InfluxDB query failed: ${chunk.error}`, { retryable: false, status: res.status });
      for (const result of chunk.results ?? []) {
        if (typeof result.error === 'string') throw new HistoryStoreError(`InfluxDB query failed: ${result.error}`, { retryable: false, status: res.status });
        const index = result.statement_id ?? 0;
        const seen = byKey[index];
        const list = out[index];
        if (seen === undefined || list === undefined) continue;
        for (const series of result.series ?? []) {
          const key = JSON.stringify([series.name, series.tags ?? {}]);
          const earlier = seen.get(key);
          if (earlier === undefined) {
            const copy = { ...series, values: [...(series.values ?? [])] };
            seen.set(key, copy);
            list.push(copy);
          } else {
            earlier.values?.push(...(series.values ?? []));
          }
        }
      }
    }
    return out;
  }

  private async select(statement: string): Promise<InfluxSeries[]> {
    const [series] = await this.query([statement]);
    return series ?? [];
  }

  private static toPoints(measurement: Measurement, series: InfluxSeries[]): HistoryPoint[] {
    const points: HistoryPoint[] = [];
    for (const s of series) {
      const tags: Record<string, string> = {};
      // GROUP BY * lists every tag key of the measurement; '' means this series lacks it.
      for (const [key, value] of Object.entries(s.tags ?? {})) if (value !== '') tags[key] = decodeTagValue(value);
      const columns = s.columns ?? [];
      for (const row of s.values ?? []) {
        const fields: Record<string, FieldValue> = {};
        for (let c = 1; c < columns.length; c++) {
          const value = row[c];
          const column = columns[c];
          if (column !== undefined && (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'string')) fields[column] = value;
        }
        if (Object.keys(fields).length > 0) points.push({ measurement, tags: { ...tags }, fields, ts: Number(row[0]) });
      }
    }
    return points;
  }

  private static encodeFilter(tags: Record<string, string>): Record<string, string> {
    return Object.fromEntries(Object.entries(tags).map(([k, v]) => [k, encodeTagValue(v)]));
  }

  async range(query: RangeQuery): Promise<HistoryPoint[]> {
    const n = checkLimit(query.limit);
    if (n === 0 || !filterCanMatch(query.tags)) return [];
    const limit = n === undefined ? '' : ` LIMIT ${n}`;
    // LIMIT applies per series; the merge below keeps the first `limit` of all of them.
    const series = await this.select(
      `SELECT * FROM ${identifier(query.measurement)} ${whereClause(query.from, query.to, InfluxHistoryStore.encodeFilter(query.tags))} GROUP BY * ORDER BY time ASC${limit}`,
    );
    const points = InfluxHistoryStore.toPoints(query.measurement, series).sort(comparePoints);
    return n === undefined ? points : points.slice(0, n);
  }

  async latest(measurement: Measurement, tags: Record<string, string> = {}): Promise<HistoryPoint[]> {
    if (!filterCanMatch(tags)) return [];
    // Explicit bounds: without them InfluxQL may stop at now() and miss a clock-ahead device.
    const series = await this.select(
      `SELECT * FROM ${identifier(measurement)} ${whereClause(FULL_RANGE.from, FULL_RANGE.to, InfluxHistoryStore.encodeFilter(tags))} GROUP BY * ORDER BY time DESC LIMIT 1`,
    );
    return latestPerDevice(InfluxHistoryStore.toPoints(measurement, series));
  }

  async aggregate(query: AggregateQuery): Promise<Bucket[]> {
    const bucketing = checkAggregate(query);
    if (!NAME.test(query.field) || !filterCanMatch(query.tags)) return [];
    const select = `SELECT ${query.fn}(${identifier(query.field)}) FROM ${identifier(query.measurement)}`;
    const tags = InfluxHistoryStore.encodeFilter(query.tags);
    const groupBy = query.groupBy === undefined ? '' : `, ${identifier(query.groupBy)}`;
    const buckets: Bucket[] = [];
    const take = (series: InfluxSeries[], ts?: number) => {
      for (const s of series) {
        for (const row of s.values ?? []) {
          const value = row[1];
          const bucket: Bucket = { ts: ts ?? Number(row[0]), value: typeof value === 'number' ? value : null };
          if (query.groupBy !== undefined) bucket.group = decodeTagValue(s.tags?.[query.groupBy] ?? '');
          buckets.push(bucket);
        }
      }
    };
    if (bucketing.kind === 'fixed') {
      take(await this.select(`${select} ${whereClause(query.from, query.to, tags)} GROUP BY time(${durationLiteral(bucketing.bucketMs)})${groupBy} fill(none)`));
    } else if (bucketing.unit !== 'month') {
      // InfluxQL's own calendar: with tz() a 1d bucket runs from local midnight to local midnight (23 or 25 h across DST).
      const unit = bucketing.unit === 'day' ? '1d' : '1h';
      take(await this.select(`${select} ${whereClause(query.from, query.to, tags)} GROUP BY time(${unit})${groupBy} fill(none) tz(${stringLiteral(bucketing.tz)})`));
    } else {
      // InfluxQL has no month: one statement per month, sent together.
      const { bounds } = bucketing;
      const statements: string[] = [];
      for (let i = 0; i + 1 < bounds.length; i++) {
        const from = Math.max(query.from, bounds[i]!);
        const to = Math.min(query.to, bounds[i + 1]! - 1);
        statements.push(`${select} ${whereClause(from, to, tags)}${query.groupBy === undefined ? '' : ` GROUP BY ${identifier(query.groupBy)}`}`);
      }
      for (let i = 0; i < statements.length; i += 100) {
        const results = await this.query(statements.slice(i, i + 100));
        results.forEach((series, k) => take(series, bounds[i + k]!));
      }
    }
    return sortBuckets(buckets);
  }

  async count(measurement: Measurement, tags: Record<string, string> = {}): Promise<number> {
    if (!filterCanMatch(tags)) return 0;
    // count(*) counts each field's values. Per series the largest of them is the number of
    // points, as long as one field is in every point of the series (as each hub message has).
    const series = await this.select(
      `SELECT count(*) FROM ${identifier(measurement)} ${whereClause(FULL_RANGE.from, FULL_RANGE.to, InfluxHistoryStore.encodeFilter(tags))} GROUP BY *`,
    );
    let total = 0;
    for (const s of series) {
      for (const row of s.values ?? []) {
        total += Math.max(0, ...row.slice(1).map((v) => (typeof v === 'number' ? v : 0)));
      }
    }
    return total;
  }

  async status(): Promise<StoreStatus> {
    try {
      const res = await fetch(`${this.base}/ping`, { headers: this.headers, signal: AbortSignal.timeout(Math.min(this.timeoutMs, 5000)) });
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) return { ok: false, detail: `InfluxDB at ${this.shownUrl} answered /ping with HTTP ${res.status}` };
      const version = res.headers.get('x-influxdb-version');
      return { ok: true, detail: `InfluxDB${version ? ` ${version}` : ''} at ${this.shownUrl}, database ${this.database}` };
    } catch (err) {
      return { ok: false, detail: `InfluxDB at ${this.shownUrl} is unreachable: ${describe(err)}` };
    }
  }

  async close(): Promise<void> {
    // Stateless over HTTP: nothing is buffered here, every write was confirmed or rejected.
  }
}
