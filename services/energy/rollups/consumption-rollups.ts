/**
 * Consumption per meter and local hour (and local day) kept in the registry database as readings
 * arrive, so a year of daily totals or a city's month is a sum of a few hundred rows, never a scan
 * of raw readings. Each batch of readings recomputes only the hours they touch: for readings in
 * order that is the hour or two since the meter's previous reading; a late or out-of-order reading
 * recomputes the hours between its neighbours (and one reading beyond, whose reset estimate may
 * lean on it). The computing itself is the pure code of ../consumption.
 */
import type { Statement } from 'better-sqlite3';
import type { EnergyUnit } from '../../contracts/energy.ts';
import type { Db } from '../../registry/database.ts';
import { dayStart, HOUR_MS, hourStart, nextDayStart, type TimeSpan } from '../consumption/local-time.ts';
import { hourlyConsumption, type HourValue, type RegisterReading } from '../consumption/registers.ts';

export interface MeterRules {
  unit: EnergyUnit;
  multiplier: number;
}

interface ReadingRow { ts: number; value: number; unit: EnergyUnit }
/** start, value, estimated (0/1) */
type ValueRow = [number, number, number];

function valuesOf(rows: readonly ValueRow[]): HourValue[] {
  const out = new Array<HourValue>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    out[i] = { start: r[0], value: r[1], estimated: r[2] === 1 };
  }
  return out;
}

/** Readings per multi-row INSERT (4 parameters each; SQLite allows 32,766). */
const READINGS_PER_INSERT = 64;

export class ConsumptionRollups {
  private readonly q: Record<string, Statement>;

  constructor(private readonly db: Db, private readonly tz: string) {
    const p = (sql: string) => db.prepare(sql);
    this.q = {
      putReading: p('INSERT OR REPLACE INTO energy_readings (meter_id, ts, value, unit) VALUES (?, ?, ?, ?)'),
      putReadings: p(`INSERT OR REPLACE INTO energy_readings (meter_id, ts, value, unit) VALUES ${Array.from({ length: READINGS_PER_INSERT }, () => '(?, ?, ?, ?)').join(', ')}`),
      rules: p('SELECT unit, multiplier FROM energy_meters WHERE meter_id = ?'),
      putRules: p('INSERT OR REPLACE INTO energy_meters (meter_id, unit, multiplier) VALUES (?, ?, ?)'),
      nthBefore: p('SELECT ts FROM energy_readings WHERE meter_id = ? AND ts < ? ORDER BY ts DESC LIMIT 1 OFFSET ?'),
      nthAfter: p('SELECT ts FROM energy_readings WHERE meter_id = ? AND ts > ? ORDER BY ts LIMIT 1 OFFSET ?'),
      before: p('SELECT ts, value, unit FROM energy_readings WHERE meter_id = ? AND ts < ? ORDER BY ts DESC LIMIT 2'),
      inside: p('SELECT ts, value, unit FROM energy_readings WHERE meter_id = ? AND ts >= ? AND ts < ? ORDER BY ts'),
      after: p('SELECT ts, value, unit FROM energy_readings WHERE meter_id = ? AND ts >= ? ORDER BY ts LIMIT 2'),
      span: p('SELECT MIN(ts) AS first, MAX(ts) AS last, COUNT(*) AS n FROM energy_readings WHERE meter_id = ?'),
      dropHours: p('DELETE FROM energy_hourly WHERE meter_id = ? AND hour >= ? AND hour < ?'),
      putHour: p('INSERT INTO energy_hourly (meter_id, hour, value, estimated) VALUES (?, ?, ?, ?)'),
      dropDays: p('DELETE FROM energy_daily WHERE meter_id = ? AND day >= ? AND day < ?'),
      putDay: p(`INSERT INTO energy_daily (meter_id, day, value, estimated, hours)
                 SELECT ?, ?, SUM(value), MAX(estimated), COUNT(*) FROM energy_hourly WHERE meter_id = ? AND hour >= ? AND hour < ? HAVING COUNT(*) > 0`),
      // Rows as arrays: a city's report reads a few hundred thousand of them.
      hours: p('SELECT hour AS start, value, estimated FROM energy_hourly WHERE meter_id = ? AND hour >= ? AND hour < ? ORDER BY hour').raw(true),
      days: p('SELECT day AS start, value, estimated FROM energy_daily WHERE meter_id = ? AND day >= ? AND day < ? ORDER BY day').raw(true),
      forget: p('DELETE FROM energy_meters WHERE meter_id = ?'),
      // Several meters at once (a building type, the city): one row per hour or day, with how many meters had one.
      sumHours: p(`SELECT hour AS start, SUM(value) AS value, MAX(estimated) AS estimated, COUNT(*) AS meters FROM energy_hourly
                   WHERE meter_id IN (SELECT value FROM json_each(?)) AND hour >= ? AND hour < ? GROUP BY hour ORDER BY hour`),
      sumDays: p(`SELECT day AS start, SUM(value) AS value, MAX(estimated) AS estimated, COUNT(*) AS meters FROM energy_daily
                  WHERE meter_id IN (SELECT value FROM json_each(?)) AND day >= ? AND day < ? GROUP BY day ORDER BY day`),
    };
  }

  /**
   * Keeps readings of one meter and recomputes what they change, in one transaction. When the
   * meter's unit or multiplier is not what its rollups were computed with, all of them are recomputed.
   */
  apply(meterId: string, readings: readonly RegisterReading[], rules: MeterRules): void {
    if (readings.length === 0) return;
    this.db.transaction(() => {
      let min = Infinity;
      let max = -Infinity;
      // Rows in the order given, so that of two readings at one ts the later one stays.
      const params: (string | number)[] = [];
      for (const r of readings) {
        params.push(meterId, r.ts, r.value, r.unit);
        if (params.length === READINGS_PER_INSERT * 4) {
          this.q.putReadings!.run(params);
          params.length = 0;
        }
        if (r.ts < min) min = r.ts;
        if (r.ts > max) max = r.ts;
      }
      for (let i = 0; i < params.length; i += 4) this.q.putReading!.run(params[i], params[i + 1], params[i + 2], params[i + 3]);
      const kept = this.q.rules!.get(meterId) as MeterRules | undefined;
      if (!kept || kept.unit !== rules.unit || kept.multiplier !== rules.multiplier) {
        this.q.putRules!.run(meterId, rules.unit, rules.multiplier);
        this.recomputeAll(meterId, rules);
        return;
      }
      const neighbour = (stmt: Statement, ts: number): number => {
        for (const offset of [1, 0]) {
          const row = stmt.get(meterId, ts, offset) as { ts: number } | undefined;
          if (row) return row.ts;
        }
        return ts;
      };
      this.recompute(meterId, rules, neighbour(this.q.nthBefore!, min), neighbour(this.q.nthAfter!, max));
    })();
  }

  /**
   * Runs `fn` in one transaction: `apply`s inside it become savepoints, so a flush of many meters
   * commits (and syncs) once instead of once per meter, and a meter that fails still rolls back alone.
   */
  batch<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /** Recomputes every hour and day of a meter from its kept readings (after a rule change or a rebuild). */
  recomputeAll(meterId: string, rules: MeterRules): void {
    this.db.transaction(() => {
      this.q.putRules!.run(meterId, rules.unit, rules.multiplier);
      this.q.dropHours!.run(meterId, -8.64e15, 8.64e15);
      this.q.dropDays!.run(meterId, -8.64e15, 8.64e15);
      const span = this.q.span!.get(meterId) as { first: number | null; last: number | null };
      if (span.first !== null && span.last !== null) this.recompute(meterId, rules, span.first, span.last);
    })();
  }

  /** Recomputes the hours from the one holding `from` to the one holding `to`, and their days. */
  private recompute(meterId: string, rules: MeterRules, from: number, to: number): void {
    const window: TimeSpan = { start: hourStart(from, this.tz), end: hourStart(to, this.tz) + HOUR_MS };
    const rows = [
      ...(this.q.before!.all(meterId, window.start) as ReadingRow[]).reverse(),
      ...(this.q.inside!.all(meterId, window.start, window.end) as ReadingRow[]),
      ...(this.q.after!.all(meterId, window.end) as ReadingRow[]),
    ];
    const { hours } = hourlyConsumption(rows, { tz: this.tz, unit: rules.unit, multiplier: rules.multiplier }, window);
    this.q.dropHours!.run(meterId, window.start, window.end);
    for (const h of hours) this.q.putHour!.run(meterId, h.start, h.value, h.estimated ? 1 : 0);
    for (let day = dayStart(window.start, this.tz); day < window.end; ) {
      const next = nextDayStart(day, this.tz);
      this.q.dropDays!.run(meterId, day, next);
      this.q.putDay!.run(meterId, day, meterId, day, next);
      day = next;
    }
  }

  /** The unit and multiplier the meter's rollups were computed with. */
  rulesOf(meterId: string): MeterRules | undefined {
    return this.q.rules!.get(meterId) as MeterRules | undefined;
  }

  /** The time of the meter's latest kept reading. */
  lastReading(meterId: string): number | undefined {
    return (this.q.span!.get(meterId) as { last: number | null }).last ?? undefined;
  }

  /** Whether any reading of the meter is kept (false: its rollups may need a rebuild from history). */
  hasReadings(meterId: string): boolean {
    return (this.q.span!.get(meterId) as { n: number }).n > 0;
  }

  /** Consumption per local hour starting in [from, to). */
  hours(meterId: string, from: number, to: number): HourValue[] {
    return valuesOf(this.q.hours!.all(meterId, from, to) as ValueRow[]);
  }

  /**
   * The sum of several meters' hours or days starting in [from, to), read from the rollups in one
   * query: an hour or day that some of the meters have no row for is estimated (as addSeries does).
   */
  sumOf(meterIds: readonly string[], by: 'hour' | 'day', from: number, to: number): HourValue[] {
    if (meterIds.length === 0) return [];
    const rows = (by === 'hour' ? this.q.sumHours! : this.q.sumDays!).all(JSON.stringify(meterIds), from, to) as { start: number; value: number; estimated: number; meters: number }[];
    return rows.map((r) => ({ start: r.start, value: r.value, estimated: r.estimated === 1 || r.meters < meterIds.length }));
  }

  /** Consumption per local day starting in [from, to). */
  days(meterId: string, from: number, to: number): HourValue[] {
    return valuesOf(this.q.days!.all(meterId, from, to) as ValueRow[]);
  }
}
