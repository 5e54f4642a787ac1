/**
 * The GTFS loader and validator: file name → bytes in, a `GtfsFeed` or the list of what is wrong
 * out, each problem naming the file, the line and the field (`stop_times.txt line 14:
 * arrival_time: "25:7:00" is not HH:MM:SS`). Pure: reading a zip or a folder is read.ts's job.
 *
 * Checked: UTF-8, CSV syntax (RFC 4180), required files and columns, required values, number and
 * time and date formats and ranges, unique ids, and references (route → agency, trip → route,
 * service and shape, stop_time → trip and stop, stop → parent station, frequency → trip). Times
 * of intermediate stops left empty are interpolated between the timepoints around them.
 */
import { CsvError, scanCsv } from './csv.ts';
import type {
  GtfsAgency,
  GtfsCalendar,
  GtfsCalendarDate,
  GtfsFeed,
  GtfsFrequency,
  GtfsRoute,
  GtfsShapePoint,
  GtfsStop,
  GtfsStopTime,
  GtfsTrip,
} from './model.ts';

export interface GtfsIssue {
  file: string;
  /** 1-based line in the file; absent for a problem of the whole file */
  line?: number;
  /** the column */
  field?: string;
  reason: string;
}

export type GtfsLoadResult = { ok: true; feed: GtfsFeed; warnings: GtfsIssue[] } | { ok: false; errors: GtfsIssue[]; warnings: GtfsIssue[] };

/** `stop_times.txt line 14: arrival_time: "25:7:00" is not HH:MM:SS` */
export function formatIssue(i: GtfsIssue): string {
  return `${i.file}${i.line !== undefined ? ` line ${i.line}` : ''}: ${i.field ? `${i.field}: ` : ''}${i.reason}`;
}

/** More than this and the rest are counted, not listed: a broken 100 MB feed must not make a 100 MB answer. */
export const MAX_ISSUES = 200;

export const GTFS_FILES = [
  'agency.txt',
  'routes.txt',
  'stops.txt',
  'trips.txt',
  'stop_times.txt',
  'calendar.txt',
  'calendar_dates.txt',
  'shapes.txt',
  'frequencies.txt',
] as const;
/** Files of the GTFS reference the hub does not read: kept and served without a warning. */
const OTHER_GTFS_FILES = new Set([
  'feed_info.txt', 'translations.txt', 'attributions.txt', 'transfers.txt', 'pathways.txt', 'levels.txt', 'fare_attributes.txt', 'fare_rules.txt',
  'fare_media.txt', 'fare_products.txt', 'fare_leg_rules.txt', 'fare_transfer_rules.txt', 'areas.txt', 'stop_areas.txt', 'networks.txt', 'route_networks.txt',
  'timeframes.txt', 'booking_rules.txt', 'location_groups.txt', 'location_group_stops.txt', 'locations.geojson',
]);
const REQUIRED_FILES = ['agency.txt', 'routes.txt', 'stops.txt', 'trips.txt', 'stop_times.txt'] as const;

/** A GTFS time `H:MM:SS` / `HH:MM:SS` (hours may pass 24) as seconds, or undefined. */
export function parseGtfsTime(s: string): number | undefined {
  const m = /^(\d{1,3}):([0-5]\d):([0-5]\d)$/.exec(s);
  if (!m) return undefined;
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}

/** Seconds as a GTFS time `HH:MM:SS`. */
export function formatGtfsTime(s: number): string {
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
}

/** A GTFS date YYYYMMDD that exists on the calendar. */
export function isGtfsDate(s: string): boolean {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

class Issues {
  readonly errors: GtfsIssue[] = [];
  readonly warnings: GtfsIssue[] = [];
  errorCount = 0;
  warningCount = 0;
  error(file: string, line: number | undefined, field: string | undefined, reason: string): void {
    this.errorCount++;
    if (this.errors.length < MAX_ISSUES) this.errors.push({ file, ...(line !== undefined ? { line } : {}), ...(field ? { field } : {}), reason });
  }
  warn(file: string, line: number | undefined, field: string | undefined, reason: string): void {
    this.warningCount++;
    if (this.warnings.length < MAX_ISSUES) this.warnings.push({ file, ...(line !== undefined ? { line } : {}), ...(field ? { field } : {}), reason });
  }
}

/** The current row of a table: read values by column name, checking them as it goes. One per table, moved along the rows. */
class Row {
  line = 0;
  fields: string[] = [];
  constructor(private readonly table: Table) {}

  private raw(col: string): string {
    const i = this.table.columns.get(col);
    return i === undefined ? '' : (this.fields[i] ?? '').trim();
  }

  private fail(col: string, reason: string): undefined {
    this.table.issues.error(this.table.file, this.line, col, reason);
    return undefined;
  }

  /** The value, or undefined when empty (an error when required). */
  str(col: string, required = false): string | undefined {
    const v = this.raw(col);
    if (v === '') return required ? this.fail(col, 'is required') : undefined;
    return v;
  }

  num(col: string, opts: { required?: boolean; min?: number; max?: number; integer?: boolean } = {}): number | undefined {
    const v = this.raw(col);
    if (v === '') return opts.required ? this.fail(col, 'is required') : undefined;
    const x = Number(v);
    if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v) || !Number.isFinite(x)) return this.fail(col, `${JSON.stringify(v)} is not a number`);
    if (opts.integer && !Number.isInteger(x)) return this.fail(col, `${JSON.stringify(v)} is not a whole number`);
    if (opts.min !== undefined && x < opts.min) return this.fail(col, `${v} is below ${opts.min}`);
    if (opts.max !== undefined && x > opts.max) return this.fail(col, `${v} is above ${opts.max}`);
    return x;
  }

  /** One of the listed whole numbers; empty gives `dflt`. */
  oneOf<T extends number>(col: string, allowed: readonly T[], dflt?: T, required = false): T | undefined {
    const v = this.raw(col);
    if (v === '') return required ? this.fail(col, 'is required') : dflt;
    const x = Number(v);
    if (!/^\d+$/.test(v) || !allowed.includes(x as T)) return this.fail(col, `${JSON.stringify(v)} is not one of ${allowed.join(', ')}`);
    return x as T;
  }

  time(col: string): number | undefined {
    const v = this.raw(col);
    if (v === '') return undefined;
    const s = parseGtfsTime(v);
    if (s === undefined) return this.fail(col, `${JSON.stringify(v)} is not HH:MM:SS`);
    return s;
  }

  date(col: string, required = true): string | undefined {
    const v = this.raw(col);
    if (v === '') return required ? this.fail(col, 'is required') : undefined;
    if (!isGtfsDate(v)) return this.fail(col, `${JSON.stringify(v)} is not a date YYYYMMDD`);
    return v;
  }

  color(col: string): string | undefined {
    const v = this.raw(col);
    if (v === '') return undefined;
    if (!/^[0-9A-Fa-f]{6}$/.test(v)) return this.fail(col, `${JSON.stringify(v)} is not a colour RRGGBB`);
    return v.toUpperCase();
  }

  /** A reference to an id of another table; an error naming the other file when unknown. */
  ref(col: string, known: { has(id: string): boolean }, otherFile: string, required = false): string | undefined {
    const v = this.str(col, required);
    if (v === undefined) return undefined;
    if (!known.has(v)) return this.fail(col, `${JSON.stringify(v)} is not in ${otherFile}`);
    return v;
  }

  /** A unique id of this table. */
  id(col: string, seen: Set<string>): string | undefined {
    const v = this.str(col, true);
    if (v === undefined) return undefined;
    if (seen.has(v)) return this.fail(col, `${JSON.stringify(v)} appears twice`);
    seen.add(v);
    return v;
  }
}

class Table {
  columns = new Map<string, number>();
  width = 0;
  constructor(
    readonly file: string,
    readonly issues: Issues,
    private readonly text: string,
  ) {}

  /** How many data rows (records after the header), without checking them. */
  count(): number {
    let n = -1;
    try {
      scanCsv(this.text, () => {
        n++;
      });
    } catch {
      // reported by each()
    }
    return Math.max(0, n);
  }

  /** Calls fn for each data row (rows of the wrong width are reported and skipped); the row object is reused. */
  each(fn: (r: Row) => void): void {
    const row = new Row(this);
    let header = true;
    try {
      scanCsv(this.text, (fields, line) => {
        if (header) {
          header = false;
          return;
        }
        if (fields.length !== this.width) {
          this.issues.error(this.file, line, undefined, `has ${fields.length} fields; the header has ${this.width}`);
          return;
        }
        row.line = line;
        row.fields = fields;
        fn(row);
      });
    } catch (err) {
      if (!(err instanceof CsvError)) throw err;
      this.issues.error(this.file, err.line, undefined, err.message);
    }
  }
}

function decode(file: string, bytes: Uint8Array, issues: Issues): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    issues.error(file, undefined, undefined, 'is not UTF-8 text');
    return undefined;
  }
}

/** The table of a file, or undefined when the file is absent or unreadable (its errors are kept). */
function readTable(files: ReadonlyMap<string, Uint8Array>, file: string, required: readonly string[], issues: Issues): Table | undefined {
  const bytes = files.get(file);
  if (!bytes) return undefined;
  const text = decode(file, bytes, issues);
  if (text === undefined) return undefined;
  let header: string[] | undefined;
  try {
    scanCsv(text, (fields) => {
      header = fields;
      return false;
    });
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    issues.error(file, err.line, undefined, err.message);
    return undefined;
  }
  const table = new Table(file, issues, text);
  if (!header) {
    issues.error(file, undefined, undefined, 'is empty (a header line is required)');
    return undefined;
  }
  header.forEach((name, i) => {
    const col = name.trim();
    if (col === '') return;
    if (table.columns.has(col)) issues.error(file, 1, col, 'the column appears twice in the header');
    else table.columns.set(col, i);
  });
  let missing = false;
  for (const col of required) {
    if (!table.columns.has(col)) {
      issues.error(file, 1, col, 'required column is missing from the header');
      missing = true;
    }
  }
  if (missing) return undefined;
  table.width = header.length;
  return table;
}

/** An empty feed: what the hub runs on before one is loaded. */
export function emptyFeed(): GtfsFeed {
  return {
    agencies: [],
    routes: new Map(),
    stops: new Map(),
    trips: new Map(),
    stopTimes: new Map(),
    calendars: new Map(),
    calendarDates: [],
    shapes: new Map(),
    frequencies: [],
    files: new Map(),
  };
}

/**
 * Loads and validates a feed. `files` maps a file name (`stops.txt`) to its bytes; files not
 * part of GTFS static are kept for serving but not read.
 */
export function loadGtfs(input: ReadonlyMap<string, Uint8Array> | Record<string, Uint8Array>): GtfsLoadResult {
  const files: ReadonlyMap<string, Uint8Array> = input instanceof Map ? input : new Map(Object.entries(input));
  const issues = new Issues();
  const feed = emptyFeed();
  feed.files = new Map(files);

  for (const f of REQUIRED_FILES) if (!files.has(f)) issues.error(f, undefined, undefined, 'is missing (a GTFS feed needs it)');
  if (!files.has('calendar.txt') && !files.has('calendar_dates.txt')) issues.error('calendar.txt', undefined, undefined, 'is missing, and so is calendar_dates.txt (one of them is required)');

  // agency.txt
  const agencyT = readTable(files, 'agency.txt', ['agency_name', 'agency_url', 'agency_timezone'], issues);
  const agencyIds = new Set<string>();
  if (agencyT) {
    const count = agencyT.count();
    if (count === 0) issues.error('agency.txt', undefined, undefined, 'has no agency');
    const many = count > 1;
    agencyT.each((r) => {
      const agencyId = many ? r.id('agency_id', agencyIds) : r.str('agency_id');
      if (agencyId !== undefined) agencyIds.add(agencyId);
      const name = r.str('agency_name', true);
      const url = r.str('agency_url', true);
      const timezone = r.str('agency_timezone', true);
      if (url !== undefined && !/^https?:\/\/\S+$/.test(url)) issues.error('agency.txt', r.line, 'agency_url', `${JSON.stringify(url)} is not an http(s) URL`);
      if (timezone !== undefined && !validZone(timezone)) issues.error('agency.txt', r.line, 'agency_timezone', `${JSON.stringify(timezone)} is not a time zone such as Europe/Kyiv`);
      const lang = r.str('agency_lang');
      if (name !== undefined && url !== undefined && timezone !== undefined) feed.agencies.push({ agencyId: agencyId ?? '', name, url, timezone, ...(lang ? { lang } : {}) } satisfies GtfsAgency);
    });
    const zones = new Set(feed.agencies.map((a) => a.timezone));
    if (zones.size > 1) issues.error('agency.txt', undefined, 'agency_timezone', `every agency must have the same time zone (found ${[...zones].join(', ')})`);
  }

  // stops.txt: parents are checked after all stops are read
  const stopsT = readTable(files, 'stops.txt', ['stop_id'], issues);
  const stopIds = new Set<string>();
  const parents: Array<[number, string]> = [];
  if (stopsT) {
    stopsT.each((r) => {
      const stopId = r.id('stop_id', stopIds);
      const locationType = r.oneOf('location_type', [0, 1, 2, 3, 4] as const, 0);
      const located = locationType === undefined || locationType <= 2;
      const name = r.str('stop_name', located);
      const lat = r.num('stop_lat', { required: located, min: -90, max: 90 });
      const lon = r.num('stop_lon', { required: located, min: -180, max: 180 });
      if (lat === 0 && lon === 0) issues.error('stops.txt', r.line, 'stop_lat', 'the stop is at 0, 0 (a missing position?)');
      const parent = r.str('parent_station');
      if (parent !== undefined) parents.push([r.line, parent]);
      if (locationType === 1 && parent !== undefined) issues.error('stops.txt', r.line, 'parent_station', 'a station (location_type 1) cannot have a parent station');
      const code = r.str('stop_code');
      if (stopId !== undefined && locationType !== undefined) {
        feed.stops.set(stopId, { stopId, name: name ?? '', lat: lat ?? 0, lon: lon ?? 0, locationType, ...(code ? { code } : {}), ...(parent ? { parentStation: parent } : {}) } satisfies GtfsStop);
      }
    });
    for (const [line, parent] of parents) {
      const p = feed.stops.get(parent);
      if (!p) issues.error('stops.txt', line, 'parent_station', `${JSON.stringify(parent)} is not in stops.txt`);
      else if (p.locationType !== 1) issues.error('stops.txt', line, 'parent_station', `${JSON.stringify(parent)} is not a station (location_type 1)`);
    }
  }

  // routes.txt
  const routesT = readTable(files, 'routes.txt', ['route_id', 'route_type'], issues);
  const routeIds = new Set<string>();
  if (routesT) {
    routesT.each((r) => {
      const routeId = r.id('route_id', routeIds);
      const agencyId = agencyIds.size > 0 ? r.ref('agency_id', agencyIds, 'agency.txt', agencyIds.size > 1) : r.str('agency_id');
      const shortName = r.str('route_short_name') ?? '';
      const longName = r.str('route_long_name') ?? '';
      if (shortName === '' && longName === '') issues.error('routes.txt', r.line, 'route_short_name', 'route_short_name or route_long_name is required');
      const type = r.num('route_type', { required: true, integer: true, min: 0 });
      if (type !== undefined && !(type <= 12 || (type >= 100 && type < 1800))) issues.error('routes.txt', r.line, 'route_type', `${type} is not a GTFS route type`);
      const color = r.color('route_color');
      const textColor = r.color('route_text_color');
      if (routeId !== undefined && type !== undefined) {
        feed.routes.set(routeId, { routeId, shortName, longName, type, ...(agencyId ? { agencyId } : {}), ...(color ? { color } : {}), ...(textColor ? { textColor } : {}) } satisfies GtfsRoute);
      }
    });
  }

  // calendar.txt and calendar_dates.txt
  const calT = readTable(files, 'calendar.txt', ['service_id', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday', 'start_date', 'end_date'], issues);
  const serviceIds = new Set<string>();
  if (calT) {
    const seen = new Set<string>();
    calT.each((r) => {
      const serviceId = r.id('service_id', seen);
      const days = (['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const).map((d) => r.oneOf(d, [0, 1] as const, undefined, true));
      const startDate = r.date('start_date');
      const endDate = r.date('end_date');
      if (startDate && endDate && endDate < startDate) issues.error('calendar.txt', r.line, 'end_date', `${endDate} is before start_date ${startDate}`);
      if (serviceId !== undefined) serviceIds.add(serviceId);
      if (serviceId !== undefined && startDate && endDate && days.every((d) => d !== undefined)) {
        feed.calendars.set(serviceId, { serviceId, days: days.map((d) => d === 1) as GtfsCalendar['days'], startDate, endDate });
      }
    });
  }
  const calDT = readTable(files, 'calendar_dates.txt', ['service_id', 'date', 'exception_type'], issues);
  if (calDT) {
    const seen = new Set<string>();
    calDT.each((r) => {
      const serviceId = r.str('service_id', true);
      const date = r.date('date');
      const exceptionType = r.oneOf('exception_type', [1, 2] as const, undefined, true);
      if (serviceId !== undefined && date !== undefined) {
        const key = `${serviceId}\u0000${date}`;
        if (seen.has(key)) issues.error('calendar_dates.txt', r.line, 'date', `service ${JSON.stringify(serviceId)} has ${date} twice`);
        seen.add(key);
      }
      if (serviceId !== undefined) serviceIds.add(serviceId);
      if (serviceId !== undefined && date !== undefined && exceptionType !== undefined) feed.calendarDates.push({ serviceId, date, exceptionType } satisfies GtfsCalendarDate);
    });
  }

  // shapes.txt
  const shapesT = readTable(files, 'shapes.txt', ['shape_id', 'shape_pt_lat', 'shape_pt_lon', 'shape_pt_sequence'], issues);
  const shapeLines = new Map<string, number[]>();
  if (shapesT) {
    shapesT.each((r) => {
      const shapeId = r.str('shape_id', true);
      const lat = r.num('shape_pt_lat', { required: true, min: -90, max: 90 });
      const lon = r.num('shape_pt_lon', { required: true, min: -180, max: 180 });
      const sequence = r.num('shape_pt_sequence', { required: true, integer: true, min: 0 });
      const dist = r.num('shape_dist_traveled', { min: 0 });
      if (shapeId === undefined || lat === undefined || lon === undefined || sequence === undefined) return;
      let pts = feed.shapes.get(shapeId);
      if (!pts) {
        pts = [];
        feed.shapes.set(shapeId, pts);
        shapeLines.set(shapeId, []);
      }
      pts.push({ lat, lon, sequence, ...(dist !== undefined ? { distTraveled: dist } : {}) } satisfies GtfsShapePoint);
      shapeLines.get(shapeId)!.push(r.line);
    });
    for (const [shapeId, pts] of feed.shapes) {
      const lines = shapeLines.get(shapeId)!;
      const order = pts.map((_, i) => i).sort((a, b) => pts[a]!.sequence - pts[b]!.sequence);
      const sorted = order.map((i) => pts[i]!);
      for (let k = 1; k < sorted.length; k++) {
        const line = lines[order[k]!]!;
        if (sorted[k]!.sequence === sorted[k - 1]!.sequence) issues.error('shapes.txt', line, 'shape_pt_sequence', `shape ${JSON.stringify(shapeId)} has sequence ${sorted[k]!.sequence} twice`);
        const d0 = sorted[k - 1]!.distTraveled;
        const d1 = sorted[k]!.distTraveled;
        if (d0 !== undefined && d1 !== undefined && d1 < d0) issues.error('shapes.txt', line, 'shape_dist_traveled', `decreases along shape ${JSON.stringify(shapeId)} (${d1} after ${d0})`);
      }
      if (sorted.length < 2) issues.error('shapes.txt', lines[0], 'shape_id', `shape ${JSON.stringify(shapeId)} has fewer than two points`);
      feed.shapes.set(shapeId, sorted);
    }
  }

  // trips.txt
  const tripsT = readTable(files, 'trips.txt', ['route_id', 'service_id', 'trip_id'], issues);
  const tripIds = new Set<string>();
  if (tripsT) {
    tripsT.each((r) => {
      const tripId = r.id('trip_id', tripIds);
      const routeId = r.ref('route_id', routeIds, 'routes.txt', true);
      const serviceId = r.ref('service_id', serviceIds, 'calendar.txt or calendar_dates.txt', true);
      const shapeId = r.ref('shape_id', feed.shapes, 'shapes.txt');
      const directionId = r.oneOf('direction_id', [0, 1] as const);
      const headsign = r.str('trip_headsign');
      const blockId = r.str('block_id');
      if (tripId !== undefined && routeId !== undefined && serviceId !== undefined) {
        feed.trips.set(tripId, {
          tripId,
          routeId,
          serviceId,
          ...(headsign ? { headsign } : {}),
          ...(directionId !== undefined ? { directionId } : {}),
          ...(blockId ? { blockId } : {}),
          ...(shapeId ? { shapeId } : {}),
        } satisfies GtfsTrip);
      }
    });
  }

  // stop_times.txt
  const stT = readTable(files, 'stop_times.txt', ['trip_id', 'stop_id', 'stop_sequence'], issues);
  if (stT) {
    if (!stT.columns.has('arrival_time') && !stT.columns.has('departure_time')) issues.error('stop_times.txt', 1, 'arrival_time', 'required column is missing from the header');
    type Pending = { st: GtfsStopTime; line: number; arr?: number; dep?: number };
    const byTrip = new Map<string, Pending[]>();
    stT.each((r) => {
      const tripId = r.ref('trip_id', tripIds, 'trips.txt', true);
      const stopId = r.ref('stop_id', stopIds, 'stops.txt', true);
      const stopSequence = r.num('stop_sequence', { required: true, integer: true, min: 0 });
      const arr = r.time('arrival_time');
      const dep = r.time('departure_time');
      const dist = r.num('shape_dist_traveled', { min: 0 });
      const timepoint = r.oneOf('timepoint', [0, 1] as const);
      if (stopId !== undefined) {
        const s = feed.stops.get(stopId);
        if (s && s.locationType !== 0) issues.error('stop_times.txt', r.line, 'stop_id', `${JSON.stringify(stopId)} is a station or entrance, not a stop (location_type ${s.locationType})`);
      }
      if (arr !== undefined && dep !== undefined && dep < arr) issues.error('stop_times.txt', r.line, 'departure_time', 'is before arrival_time');
      if (tripId === undefined || stopId === undefined || stopSequence === undefined) return;
      // Built without spreads: a national feed has millions of these.
      const st: GtfsStopTime = { tripId, stopSequence, stopId, arrivalS: arr ?? dep ?? NaN, departureS: dep ?? arr ?? NaN };
      if (dist !== undefined) st.shapeDistTraveled = dist;
      if (timepoint !== undefined) st.timepoint = timepoint;
      let list = byTrip.get(tripId);
      if (!list) byTrip.set(tripId, (list = []));
      const p: Pending = { st, line: r.line };
      if (arr !== undefined) p.arr = arr;
      if (dep !== undefined) p.dep = dep;
      list.push(p);
    });
    for (const [tripId, list] of byTrip) {
      list.sort((a, b) => a.st.stopSequence - b.st.stopSequence);
      for (let k = 1; k < list.length; k++) {
        if (list[k]!.st.stopSequence === list[k - 1]!.st.stopSequence) issues.error('stop_times.txt', list[k]!.line, 'stop_sequence', `trip ${JSON.stringify(tripId)} has stop_sequence ${list[k]!.st.stopSequence} twice`);
      }
      const first = list[0]!;
      const last = list[list.length - 1]!;
      if (first.arr === undefined && first.dep === undefined) issues.error('stop_times.txt', first.line, 'arrival_time', `the first stop of trip ${JSON.stringify(tripId)} needs a time`);
      if (last.arr === undefined && last.dep === undefined) issues.error('stop_times.txt', last.line, 'arrival_time', `the last stop of trip ${JSON.stringify(tripId)} needs a time`);
      if (list.length < 2) issues.warn('stop_times.txt', first.line, 'trip_id', `trip ${JSON.stringify(tripId)} has fewer than two stops`);
      // Times must not run backwards along the trip (checked on the times the feed gives).
      let prevTimed: Pending | undefined;
      let prevDist: number | undefined;
      for (const p of list) {
        if (Number.isFinite(p.st.arrivalS)) {
          if (prevTimed && p.st.arrivalS < prevTimed.st.departureS) {
            issues.error('stop_times.txt', p.line, 'arrival_time', `is earlier than the departure from the stop before (trip ${JSON.stringify(tripId)}, ${formatGtfsTime(p.st.arrivalS)} after ${formatGtfsTime(prevTimed.st.departureS)})`);
          }
          prevTimed = p;
        }
        const d1 = p.st.shapeDistTraveled;
        if (prevDist !== undefined && d1 !== undefined && d1 < prevDist) issues.error('stop_times.txt', p.line, 'shape_dist_traveled', `decreases along trip ${JSON.stringify(tripId)} (${d1} after ${prevDist})`);
        if (d1 !== undefined) prevDist = d1;
      }
      interpolate(list.map((p) => p.st));
      feed.stopTimes.set(tripId, list.map((p) => p.st));
    }
    for (const tripId of feed.trips.keys()) if (!byTrip.has(tripId)) issues.warn('trips.txt', undefined, 'trip_id', `trip ${JSON.stringify(tripId)} has no stop_times`);
  }

  // frequencies.txt
  const freqT = readTable(files, 'frequencies.txt', ['trip_id', 'start_time', 'end_time', 'headway_secs'], issues);
  if (freqT) {
    freqT.each((r) => {
      const tripId = r.ref('trip_id', tripIds, 'trips.txt', true);
      const startS = r.time('start_time');
      const endS = r.time('end_time');
      if (startS === undefined && r.str('start_time') === undefined) issues.error('frequencies.txt', r.line, 'start_time', 'is required');
      if (endS === undefined && r.str('end_time') === undefined) issues.error('frequencies.txt', r.line, 'end_time', 'is required');
      const headwayS = r.num('headway_secs', { required: true, integer: true, min: 1 });
      const exactTimes = r.oneOf('exact_times', [0, 1] as const, 0);
      if (startS !== undefined && endS !== undefined && endS <= startS) issues.error('frequencies.txt', r.line, 'end_time', 'is not after start_time');
      if (tripId !== undefined && startS !== undefined && endS !== undefined && headwayS !== undefined && exactTimes !== undefined) feed.frequencies.push({ tripId, startS, endS, headwayS, exactTimes } satisfies GtfsFrequency);
    });
  }

  const extra = [...files.keys()].filter((f) => !(GTFS_FILES as readonly string[]).includes(f) && !OTHER_GTFS_FILES.has(f));
  for (const f of extra) issues.warn(f, undefined, undefined, 'is not read by the hub (kept and served as it is)');

  if (issues.errorCount > MAX_ISSUES) issues.errors.push({ file: '(feed)', reason: `and ${issues.errorCount - MAX_ISSUES} more errors` });
  if (issues.errorCount > 0) return { ok: false, errors: issues.errors, warnings: issues.warnings };
  return { ok: true, feed, warnings: issues.warnings };
}

/** Fills empty times of intermediate stops linearly between the timed stops around them. */
function interpolate(list: GtfsStopTime[]): void {
  let lastTimed = -1;
  for (let k = 0; k < list.length; k++) {
    if (!Number.isFinite(list[k]!.arrivalS)) continue;
    if (lastTimed >= 0 && k - lastTimed > 1) {
      const a = list[lastTimed]!;
      const b = list[k]!;
      const useDist = a.shapeDistTraveled !== undefined && b.shapeDistTraveled !== undefined && b.shapeDistTraveled > a.shapeDistTraveled;
      for (let m = lastTimed + 1; m < k; m++) {
        const st = list[m]!;
        const f = useDist && st.shapeDistTraveled !== undefined ? (st.shapeDistTraveled - a.shapeDistTraveled!) / (b.shapeDistTraveled! - a.shapeDistTraveled!) : (m - lastTimed) / (k - lastTimed);
        st.arrivalS = st.departureS = Math.round(a.departureS + f * (b.arrivalS - a.departureS));
        st.timepoint = 0;
      }
    }
    lastTimed = k;
  }
}

const zoneCache = new Map<string, boolean>();
function validZone(tz: string): boolean {
  let ok = zoneCache.get(tz);
  if (ok === undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      ok = true;
    } catch {
      ok = false;
    }
    zoneCache.set(tz, ok);
  }
  return ok;
}

/** Is the service running on the local date YYYYMMDD (calendar plus its exceptions)? */
export function serviceRunsOn(feed: GtfsFeed, serviceId: string, date: string, weekday: number): boolean {
  for (const d of feed.calendarDates) if (d.serviceId === serviceId && d.date === date) return d.exceptionType === 1;
  const c = feed.calendars.get(serviceId);
  return !!c && c.startDate <= date && date <= c.endDate && c.days[weekday - 1] === true;
}
