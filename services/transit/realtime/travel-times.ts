/**
 * Travel times learned from observed stop passages: the running time of each segment (stop to
 * next stop, departure to arrival) and the dwell at each stop, per local hour of the day, as an
 * exponentially weighted running mean. A value far from the mean (a vehicle held for minutes)
 * moves it only as far as three times the mean or a third of it.
 */

/** run: stop to next stop; dwell: at a stop; late: leaving the first stop after its scheduled departure */
export type TravelKind = 'run' | 'dwell' | 'late';

export interface TravelTimeRow {
  kind: TravelKind;
  /** `{fromStopId}>{toStopId}` for a run, the stop id for a dwell */
  key: string;
  /** local hour 0–23 */
  hour: number;
  meanS: number;
  n: number;
}

export interface TravelTimeRepo {
  load(): TravelTimeRow[];
  save(rows: readonly TravelTimeRow[]): void;
}

/** Weight of the newest observation. */
export const EWMA_ALPHA = 0.3;
/** Observations a mean needs before predictions trust it over the timetable. */
export const MIN_SAMPLES = 2;

const LIMITS: Record<TravelKind, number> = { run: 3_600, dwell: 1_800, late: 3_600 };

const id = (kind: TravelKind, key: string, hour: number) => `${kind}|${key}|${hour}`;

export class TravelTimes {
  private readonly rows = new Map<string, TravelTimeRow>();
  /** the same rows by kind, key and hour: `mean`, asked for every stop ahead on every position, builds no string */
  private readonly byKey: Record<TravelKind, Map<string, (TravelTimeRow | undefined)[]>> = { run: new Map(), dwell: new Map(), late: new Map() };
  private readonly dirty = new Set<string>();

  constructor(private readonly repo?: TravelTimeRepo) {
    for (const r of repo?.load() ?? []) this.add({ ...r });
  }

  private add(row: TravelTimeRow): void {
    this.rows.set(id(row.kind, row.key, row.hour), row);
    const byKey = this.byKey[row.kind] as Map<string, (TravelTimeRow | undefined)[]> | undefined;
    if (!byKey) return; // a kind this version does not know (a newer one stored it): kept, never asked for
    const hours = byKey.get(row.key) ?? byKey.set(row.key, []).get(row.key)!;
    hours[row.hour] = row;
  }

  get size(): number {
    return this.rows.size;
  }

  observe(kind: TravelKind, key: string, hour: number, seconds: number): void {
    if (!Number.isFinite(seconds) || seconds < 0 || seconds > LIMITS[kind]) return;
    const k = id(kind, key, hour);
    const row = this.rows.get(k);
    if (!row) {
      this.add({ kind, key, hour, meanS: seconds, n: 1 });
    } else {
      const clipped = row.n >= 3 && row.meanS > 5 ? Math.min(Math.max(seconds, row.meanS / 3), row.meanS * 3) : seconds;
      row.meanS += EWMA_ALPHA * (clipped - row.meanS);
      row.n += 1;
    }
    this.dirty.add(k);
  }

  /** The learned mean for that hour, else the neighbouring hours'; undefined when not learned enough. */
  mean(kind: TravelKind, key: string, hour: number): number | undefined {
    const hours = this.byKey[kind].get(key);
    if (!hours) return undefined;
    let row = hours[hour];
    if (row && row.n >= MIN_SAMPLES) return row.meanS;
    row = hours[(hour + 23) % 24];
    if (row && row.n >= MIN_SAMPLES) return row.meanS;
    row = hours[(hour + 1) % 24];
    if (row && row.n >= MIN_SAMPLES) return row.meanS;
    return undefined;
  }

  /** Writes the rows changed since the last flush. */
  flush(): number {
    if (!this.repo || this.dirty.size === 0) return 0;
    const rows = [...this.dirty].map((k) => this.rows.get(k)!).filter(Boolean);
    this.repo.save(rows);
    this.dirty.clear();
    return rows.length;
  }
}

export const runKey = (fromStopId: string, toStopId: string) => `${fromStopId}>${toStopId}`;
