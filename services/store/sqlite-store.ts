import Database from 'better-sqlite3';
import { constants, mkdirSync, promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
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
import { MAX_TIME_MS, MIN_TIME_MS } from './influxql.ts';
import { parseRecord } from './line-protocol.ts';
import {
  HistoryStoreError,
  MeasurementRegistry,
  NAME,
  checkAggregate,
  checkLimit,
  fieldType,
  filterCanMatch,
  latestPerDevice,
  normalizePoints,
  sortBuckets,
  type FieldType,
  type StoreLogger,
} from './points.ts';

export interface SqliteStoreOptions {
  /** folder of the database file (created when missing) */
  dataDir: string;
  /** file name inside `dataDir` */
  fileName?: string;
  logger?: StoreLogger;
  /** @internal How files reach the disk; tests gate or fail it. Default: `nodeSync`. */
  sync?: StoreSync;
}

/**
 * The embedded store's fsyncs. better-sqlite3 runs on the event loop's thread, so with
 * `synchronous = FULL` every commit would stop the hub for an fsync; these run on the libuv
 * pool instead, and a write resolves only after they did.
 */
export interface StoreSync {
  /** fdatasync of a file's data (what a commit appended to the WAL). */
  file(path: string): Promise<void>;
  /** fsync of a folder, so that a file created in it survives a power cut. */
  dir(path: string): Promise<void>;
}

export const nodeSync: StoreSync = {
  async file(path) {
    const fh = await fsp.open(path, constants.O_RDWR);
    try {
      await fh.datasync();
    } finally {
      await fh.close();
    }
  },
  async dir(path) {
    const fh = await fsp.open(path, constants.O_RDONLY);
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  },
};

/**
 * Schema steps; `PRAGMA user_version` counts the ones applied. Append, never edit: a data dir
 * made by an older hub is brought forward step by step.
 *
 * A series (measurement + tags, as in InfluxDB) is a row of `series`; points are keyed by
 * (series, ts), so a range for one vehicle is a few index range scans, and `last_ts` answers
 * "latest per device" without scanning points.
 *
 * Step 2: every tag of a series is a row of `series_tags`, indexed by (key, value), so a filter
 * on any tag — those of measurements domains register at run time included — is an index
 * lookup instead of a `json_extract` over every series; the `vehicle` column it replaces goes.
 * Existing series get their rows from their tags' JSON.
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE series (
    id INTEGER PRIMARY KEY,
    measurement TEXT NOT NULL,
    tags TEXT NOT NULL,
    device TEXT NOT NULL,
    vehicle TEXT,
    last_ts INTEGER NOT NULL,
    UNIQUE (measurement, tags)
  );
  CREATE INDEX series_by_device ON series (measurement, device);
  CREATE INDEX series_by_vehicle ON series (measurement, vehicle);
  CREATE TABLE points (
    series_id INTEGER NOT NULL REFERENCES series (id),
    ts INTEGER NOT NULL,
    fields TEXT NOT NULL,
    PRIMARY KEY (series_id, ts)
  ) WITHOUT ROWID;
  CREATE TABLE field_types (
    measurement TEXT NOT NULL,
    field TEXT NOT NULL,
    type TEXT NOT NULL,
    PRIMARY KEY (measurement, field)
  ) WITHOUT ROWID;
  `,
  `
  CREATE TABLE series_tags (
    series_id INTEGER NOT NULL REFERENCES series (id),
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (key, value, series_id)
  ) WITHOUT ROWID;
  CREATE UNIQUE INDEX series_tags_by_series ON series_tags (series_id, key);
  INSERT INTO series_tags (series_id, key, value) SELECT s.id, t.key, t.value FROM series s, json_each(s.tags) t;
  DROP INDEX series_by_vehicle;
  ALTER TABLE series DROP COLUMN vehicle;
  `,
];

interface SeriesFilter {
  sql: string;
  params: (string | number)[];
}

/** @internal The WHERE of the series matching a tag filter (exported for the query-plan test). */
export function seriesFilter(measurement: string, tags: Record<string, string>): SeriesFilter {
  // A tag lookup is more selective than all the series of a measurement; without statistics
  // SQLite would scan those and probe the tag list for each. The unary + keeps it from using
  // the measurement's index, so it starts from the tag's index instead (the device has its own).
  const byTag = !('device' in tags) && Object.values(tags).some((v) => v !== '');
  const conditions = [byTag ? '+s.measurement = ?' : 's.measurement = ?'];
  const params: (string | number)[] = [measurement];
  for (const key of Object.keys(tags).sort()) {
    const value = tags[key] ?? '';
    if (key === 'device') {
      // Every series has a device: an empty filter value matches none.
      conditions.push(value === '' ? '0' : 's.device = ?');
      if (value !== '') params.push(value);
    } else if (value === '') {
      // As in InfluxDB, an empty filter value matches series without the tag.
      conditions.push('NOT EXISTS (SELECT 1 FROM series_tags t WHERE t.series_id = s.id AND t.key = ?)');
      params.push(key);
    } else {
      conditions.push('s.id IN (SELECT t.series_id FROM series_tags t WHERE t.key = ? AND t.value = ?)');
      params.push(key, value);
    }
  }
  return { sql: conditions.join(' AND '), params };
}

function clampTime(ms: number): number {
  if (Number.isNaN(ms)) throw new RangeError('time must be a number');
  return Math.min(MAX_TIME_MS, Math.max(MIN_TIME_MS, Math.trunc(ms)));
}

/** Points per multi-row INSERT: one statement step instead of a hundred (SQLite allows 32,766 parameters). */
const POINTS_PER_INSERT = 100;

interface SeriesEntry {
  id: number;
  lastTs: number;
}

interface WriteStatements {
  upsertSeries: Database.Statement<[string, string, string, number], { id: number; last_ts: number }>;
  raiseLastTs: Database.Statement;
  upsertPoint: Database.Statement;
  upsertPoints: Database.Statement;
  selectType: Database.Statement<[string, string], { type: FieldType }>;
  insertType: Database.Statement;
  insertTag: Database.Statement;
}

interface PointRow {
  tags: string;
  ts: number;
  fields: string;
}

function toPoint(measurement: Measurement, row: PointRow): HistoryPoint {
  return {
    measurement,
    tags: JSON.parse(row.tags) as Record<string, string>,
    fields: JSON.parse(row.fields) as Record<string, FieldValue>,
    ts: row.ts,
  };
}

/**
 * The embedded history store: one SQLite file, same behaviour as the InfluxDB store (points
 * identified by series and ts, a rewrite merges its fields into the point, a field keeps the
 * type it was first written with).
 */
export class SqliteHistoryStore implements HistoryStore {
  readonly kind = 'sqlite' as const;
  readonly maxBatch = 5000;
  readonly file: string;
  private db: Database.Database | undefined;
  private readonly logger: StoreLogger | undefined;
  /** field types per measurement and field, as in `field_types` */
  private readonly knownTypes = new Map<string, Map<string, FieldType>>();
  /** series per measurement and series key (tags as JSON), with the `last_ts` the table holds */
  private readonly seriesIds = new Map<string, Map<string, SeriesEntry>>();
  private prepared: { db: Database.Database; q: WriteStatements } | undefined;
  /** series whose `series_tags` rows are known to exist */
  private readonly taggedSeries = new Set<number>();
  private readonly registry = new MeasurementRegistry();
  private readonly sync: StoreSync;
  private syncRunning: Promise<void> | undefined;
  private syncNext: Promise<void> | undefined;

  constructor(opts: SqliteStoreOptions) {
    this.file = join(opts.dataDir, opts.fileName ?? 'history.sqlite');
    this.logger = opts.logger;
    this.sync = opts.sync ?? nodeSync;
  }

  async init(): Promise<void> {
    if (this.db !== undefined) return;
    mkdirSync(join(this.file, '..'), { recursive: true });
    const db = new Database(this.file);
    try {
      db.pragma('journal_mode = WAL');
      // NORMAL syncs the WAL only at checkpoints, so a commit alone would not survive a power
      // cut, and the writer moves the spool's cursor past a batch once `write` resolves: after
      // that the spool no longer holds it. `write` therefore syncs the WAL itself before it
      // resolves (see `durable`), off the event loop; checkpoints sync the WAL and the database
      // file on their own under NORMAL.
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      // Writes touch the newest leaf of every series' range of the points' key: with a thousand
      // series or more those pages no longer fit the default 2 MiB page cache, and every batch
      // would read them back from the file.
      db.pragma('cache_size = -65536');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > MIGRATIONS.length) {
        throw new Error(`${this.file} has schema version ${version}, newer than this hub knows (${MIGRATIONS.length}); upgrade the hub`);
      }
      for (let v = version; v < MIGRATIONS.length; v++) {
        db.transaction(() => {
          db.exec(MIGRATIONS[v] ?? '');
          db.pragma(`user_version = ${v + 1}`);
        })();
      }
      if (version < MIGRATIONS.length) this.logger?.warn({ file: this.file, from: version, to: MIGRATIONS.length }, 'history store schema migrated');
    } catch (err) {
      db.close();
      throw err;
    }
    try {
      // The file, its WAL (the migrations) and their folder entries, once per open.
      await this.sync.file(this.file);
      await this.sync.file(this.walFile);
      await this.sync.dir(dirname(this.file));
    } catch (err) {
      db.close();
      throw new HistoryStoreError(`SQLite history store ${this.file} cannot be synced to disk: ${err instanceof Error ? err.message : String(err)}`, { retryable: true, cause: err });
    }
    this.db = db;
  }

  private get walFile(): string {
    return `${this.file}-wal`;
  }

  /**
   * Resolves once what was committed so far is on disk (the WAL synced). Writes in flight share
   * fsyncs: a commit made while one runs waits for the next, which covers every commit made in
   * the meantime (fewer fsyncs competing with the spool's for the libuv pool).
   */
  private durable(): Promise<void> {
    if (this.syncRunning === undefined) return (this.syncRunning = this.syncWal());
    this.syncNext ??= this.syncRunning
      .catch(() => undefined)
      .then(() => {
        this.syncNext = undefined;
        return (this.syncRunning = this.syncWal());
      });
    return this.syncNext;
  }

  private async syncWal(): Promise<void> {
    try {
      await this.sync.file(this.walFile).catch((err: unknown) => {
        // No WAL file: SQLite checkpointed it into the database file and removed it (it does so
        // when the last connection to the file closes), so the database file holds the commits.
        if ((err as { code?: unknown }).code !== 'ENOENT') throw err;
        return this.sync.file(this.file);
      });
    } catch (err) {
      throw new HistoryStoreError(`SQLite history write not synced to disk: ${err instanceof Error ? err.message : String(err)}`, { retryable: true, cause: err });
    } finally {
      this.syncRunning = undefined;
    }
  }

  private open(): Database.Database {
    if (this.db === undefined) throw new HistoryStoreError('the SQLite history store is not open (call init())', { retryable: true });
    return this.db;
  }

  registerMeasurement(spec: MeasurementSpec): void {
    this.registry.register(spec);
  }

  measurements(): MeasurementSpec[] {
    return this.registry.list();
  }

  async writeLines(records: readonly Uint8Array[]): Promise<void> {
    // Parsing is part of the write: a record that does not parse refuses the batch like a bad
    // point. parseRecord gives canonical points already (it normalises), so no second check.
    await this.insert(records.map((r) => parseRecord(r)));
  }

  async write(points: readonly HistoryPoint[]): Promise<void> {
    await this.insert(normalizePoints(points));
  }

  /**
   * Inserts points already in canonical form (`normalizePoint`) and resolves once they are on
   * disk. A batch with some points refused is still synced before the refusal is thrown: the
   * writer sets those points aside and moves on, so the rest must be kept.
   */
  private async insert(normalized: readonly HistoryPoint[]): Promise<void> {
    const db = this.open();
    if (normalized.length === 0) return;
    const q = this.statements(db);

    // A point's series id comes from memory after the first sight of the series; the series'
    // `last_ts` is raised once per series per batch (below), not once per point.
    const raised = new Map<SeriesEntry, number>();
    const typesAdded: [Map<string, FieldType>, string][] = [];
    const seriesAdded: [Map<string, SeriesEntry>, string][] = [];
    const conflicts: string[] = [];
    // Points wait here for a multi-row INSERT: series id, ts, fields JSON, per point.
    const params: (number | string)[] = [];
    const run = db.transaction(() => {
      for (const p of normalized) {
        let types = this.knownTypes.get(p.measurement);
        if (types === undefined) this.knownTypes.set(p.measurement, (types = new Map()));
        let conflict: string | undefined;
        let unknown = false;
        for (const field in p.fields) {
          const type = fieldType(p.fields[field]!);
          let known = types.get(field);
          if (known === undefined) {
            known = q.selectType.get(p.measurement, field)?.type;
            if (known !== undefined) types.set(field, known);
          }
          if (known === undefined) unknown = true;
          else if (known !== type) {
            conflict = `input field "${field}" on measurement "${p.measurement}" is type ${type}, already exists as type ${known}`;
            break;
          }
        }
        // InfluxDB drops a conflicting point and keeps the rest of the batch; so does this.
        if (conflict !== undefined) {
          conflicts.push(conflict);
          continue;
        }
        if (unknown) {
          for (const field in p.fields) {
            if (types.has(field)) continue;
            const type = fieldType(p.fields[field]!);
            q.insertType.run(p.measurement, field, type);
            types.set(field, type);
            typesAdded.push([types, field]);
          }
        }
        let byKey = this.seriesIds.get(p.measurement);
        if (byKey === undefined) this.seriesIds.set(p.measurement, (byKey = new Map()));
        // Normalized tags are sorted and hold no empty value: their JSON is the series key.
        const key = JSON.stringify(p.tags);
        let series = byKey.get(key);
        if (series === undefined) {
          const row = q.upsertSeries.get(p.measurement, key, p.tags.device ?? '', p.ts);
          if (row === undefined) throw new Error('series upsert returned no id');
          series = { id: row.id, lastTs: row.last_ts };
          byKey.set(key, series);
          seriesAdded.push([byKey, key]);
          if (!this.taggedSeries.has(row.id)) {
            for (const tag in p.tags) q.insertTag.run(row.id, tag, p.tags[tag]!);
            this.taggedSeries.add(row.id);
          }
        } else if (p.ts > series.lastTs && p.ts > (raised.get(series) ?? -Infinity)) {
          raised.set(series, p.ts);
        }
        params.push(series.id, p.ts, JSON.stringify(p.fields));
        if (params.length === POINTS_PER_INSERT * 3) {
          q.upsertPoints.run(params);
          params.length = 0;
        }
      }
      for (let i = 0; i < params.length; i += 3) q.upsertPoint.run(params[i], params[i + 1], params[i + 2]);
      for (const [series, ts] of raised) q.raiseLastTs.run(ts, series.id, ts);
    });
    try {
      run();
    } catch (err) {
      // The transaction rolled back, so what it added to the tables is not there either.
      for (const [types, field] of typesAdded) types.delete(field);
      for (const [byKey, key] of seriesAdded) {
        this.taggedSeries.delete(byKey.get(key)!.id);
        byKey.delete(key);
      }
      throw new HistoryStoreError(`SQLite history write failed: ${err instanceof Error ? err.message : String(err)}`, { retryable: true, cause: err });
    }
    for (const [series, ts] of raised) series.lastTs = ts;
    await this.durable();
    if (conflicts.length > 0) {
      throw new HistoryStoreError(`partial write: field type conflict: ${conflicts[0]} dropped=${conflicts.length}`, { retryable: false });
    }
  }

  /** The write path's statements, prepared once per open database. */
  private statements(db: Database.Database): WriteStatements {
    if (this.prepared?.db === db) return this.prepared.q;
    // A rewrite merges fields like InfluxDB does: fields of the new point replace, others stay.
    const pointsSql = (n: number) =>
      `INSERT INTO points (series_id, ts, fields) VALUES ${Array.from({ length: n }, () => '(?, ?, ?)').join(', ')}
       ON CONFLICT (series_id, ts) DO UPDATE SET fields = json_patch(fields, excluded.fields)`;
    const q: WriteStatements = {
      upsertSeries: db.prepare<[string, string, string, number], { id: number; last_ts: number }>(
        `INSERT INTO series (measurement, tags, device, last_ts) VALUES (?, ?, ?, ?)
         ON CONFLICT (measurement, tags) DO UPDATE SET last_ts = max(last_ts, excluded.last_ts)
         RETURNING id, last_ts`,
      ),
      raiseLastTs: db.prepare('UPDATE series SET last_ts = ? WHERE id = ? AND last_ts < ?'),
      upsertPoint: db.prepare(pointsSql(1)),
      upsertPoints: db.prepare(pointsSql(POINTS_PER_INSERT)),
      selectType: db.prepare<[string, string], { type: FieldType }>('SELECT type FROM field_types WHERE measurement = ? AND field = ?'),
      insertType: db.prepare('INSERT INTO field_types (measurement, field, type) VALUES (?, ?, ?)'),
      insertTag: db.prepare('INSERT OR IGNORE INTO series_tags (series_id, key, value) VALUES (?, ?, ?)'),
    };
    this.prepared = { db, q };
    return q;
  }

  async range(query: RangeQuery): Promise<HistoryPoint[]> {
    const db = this.open();
    const n = checkLimit(query.limit);
    if (n === 0 || !filterCanMatch(query.tags)) return [];
    const filter = seriesFilter(query.measurement, query.tags);
    const limit = n === undefined ? '' : ` LIMIT ${n}`;
    const rows = db
      .prepare<(string | number)[], PointRow>(
        `SELECT s.tags AS tags, p.ts AS ts, p.fields AS fields
         FROM series s JOIN points p ON p.series_id = s.id
         WHERE ${filter.sql} AND p.ts >= ? AND p.ts <= ?
         ORDER BY p.ts, s.tags${limit}`,
      )
      .all(...filter.params, clampTime(query.from), clampTime(query.to));
    return rows.map((r) => toPoint(query.measurement, r));
  }

  async latest(measurement: Measurement, tags: Record<string, string> = {}): Promise<HistoryPoint[]> {
    const db = this.open();
    if (!filterCanMatch(tags)) return [];
    const filter = seriesFilter(measurement, tags);
    const rows = db
      .prepare<(string | number)[], PointRow & { device: string }>(
        `SELECT s.device AS device, s.tags AS tags, p.ts AS ts, p.fields AS fields
         FROM series s JOIN points p ON p.series_id = s.id AND p.ts = s.last_ts
         WHERE ${filter.sql}`,
      )
      .all(...filter.params);
    return latestPerDevice(rows.map((r) => toPoint(measurement, r)));
  }

  async aggregate(query: AggregateQuery): Promise<Bucket[]> {
    const db = this.open();
    const bucketing = checkAggregate(query);
    if (!NAME.test(query.field) || !filterCanMatch(query.tags)) return [];
    const filter = seriesFilter(query.measurement, query.tags);
    const value = `json_extract(p.fields, '$.${query.field}')`;
    let bucket: string;
    if (bucketing.kind === 'fixed') {
      const b = bucketing.bucketMs;
      // Floor division, so buckets before 1970 start at multiples of the width too.
      bucket = `(p.ts - (((p.ts % ${b}) + ${b}) % ${b}))`;
    } else {
      // Calendar bounds (computed with the zone's rules, see calendar.ts) in a temporary table:
      // a point's bucket is the last start at or before it, one index lookup.
      db.exec('CREATE TEMP TABLE IF NOT EXISTS aggregate_bounds (start INTEGER PRIMARY KEY)');
      db.exec('DELETE FROM temp.aggregate_bounds');
      const add = db.prepare('INSERT INTO temp.aggregate_bounds (start) VALUES (?)');
      db.transaction(() => bucketing.bounds.forEach((b) => add.run(b)))();
      bucket = '(SELECT b.start FROM temp.aggregate_bounds b WHERE b.start <= p.ts ORDER BY b.start DESC LIMIT 1)';
    }
    const params: (string | number)[] = [];
    let group = `''`;
    if (query.groupBy === 'device') group = 's.device';
    else if (query.groupBy !== undefined) {
      group = `coalesce((SELECT g.value FROM series_tags g WHERE g.series_id = s.id AND g.key = ?), '')`;
      params.push(query.groupBy);
    }
    const select: Record<typeof query.fn, string> = {
      mean: `avg(${value})`,
      min: `min(${value})`,
      max: `max(${value})`,
      sum: `sum(${value})`,
      count: `count(${value})`,
      // A lone min()/max() makes SQLite take the other columns from that row.
      first: `${value} AS v, min(p.ts)`,
      last: `${value} AS v, max(p.ts)`,
    };
    const agg = query.fn === 'first' || query.fn === 'last' ? select[query.fn] : `${select[query.fn]} AS v`;
    const rows = db
      .prepare<(string | number)[], { bucket: number; grp: string; v: number | null }>(
        `SELECT ${bucket} AS bucket, ${group} AS grp, ${agg}
         FROM series s JOIN points p ON p.series_id = s.id
         WHERE ${filter.sql} AND p.ts >= ? AND p.ts <= ? AND json_type(p.fields, '$.${query.field}') IN ('integer', 'real')
         GROUP BY bucket, grp`,
      )
      .all(...params, ...filter.params, clampTime(query.from), clampTime(query.to));
    return sortBuckets(rows.map((r) => (query.groupBy === undefined ? { ts: r.bucket, value: r.v } : { ts: r.bucket, value: r.v, group: r.grp })));
  }

  async count(measurement: Measurement, tags: Record<string, string> = {}): Promise<number> {
    const db = this.open();
    if (!filterCanMatch(tags)) return 0;
    const filter = seriesFilter(measurement, tags);
    const row = db
      .prepare<(string | number)[], { n: number }>(`SELECT count(*) AS n FROM series s JOIN points p ON p.series_id = s.id WHERE ${filter.sql}`)
      .get(...filter.params);
    return row?.n ?? 0;
  }

  async status(): Promise<StoreStatus> {
    if (this.db === undefined) return { ok: false, detail: `SQLite history store ${this.file} is not open` };
    try {
      this.db.prepare('SELECT count(*) FROM series').get();
      return { ok: true, detail: `SQLite ${this.file}` };
    } catch (err) {
      return { ok: false, detail: `SQLite ${this.file}: ${err instanceof Error ? err.message : String(err)}` };
    }
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = undefined;
    // What the file held is known again from the file once it is opened again.
    this.seriesIds.clear();
    this.taggedSeries.clear();
    this.knownTypes.clear();
  }
}
