/**
 * GTFS feeds written to a folder, for tests that start a hub on them (`GTFS_PATH`). A test that
 * puts a vehicle on a trip needs a trip at the hour it runs: the demo timetable runs 05:30–23:18
 * Kyiv time only, so `writeDemoAroundTheClock` gives the demo city's routes, stops, shapes and
 * names with trips every 20 minutes over all 24 hours of every day — whatever the hour, a
 * vehicle driven along a route now has a trip to be matched to, and every stop has a board.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toCsv } from '../../services/transit/gtfs/csv.ts';
import { formatGtfsTime, formatIssue } from '../../services/transit/gtfs/load.ts';
import type { GtfsCalendar, GtfsFeed, GtfsStopTime, GtfsTrip } from '../../services/transit/gtfs/model.ts';
import { loadGtfsPath } from '../../services/transit/gtfs/read.ts';
import { DEMO_GTFS_DIR } from '../../simulators/city/demo-gtfs.ts';

const DAY_S = 86_400;
const NOON_S = 12 * 3600;

/** A calendar's days and dates for every day of 2000–2099: a test feed that never runs out. */
export const EVERY_DAY: Omit<GtfsCalendar, 'serviceId'> = { days: [true, true, true, true, true, true, true], startDate: '20000101', endDate: '20991231' };

/** The tables the feed model holds, as GTFS files (undefined: no rows, no file). */
const TABLES = {
  'agency.txt': (f: GtfsFeed) => toCsv(['agency_id', 'agency_name', 'agency_url', 'agency_timezone', 'agency_lang'],
    f.agencies.map((a) => [a.agencyId, a.name, a.url, a.timezone, a.lang])),
  'routes.txt': (f: GtfsFeed) => toCsv(['route_id', 'agency_id', 'route_short_name', 'route_long_name', 'route_type', 'route_color', 'route_text_color'],
    [...f.routes.values()].map((r) => [r.routeId, r.agencyId, r.shortName, r.longName, r.type, r.color, r.textColor])),
  'stops.txt': (f: GtfsFeed) => toCsv(['stop_id', 'stop_code', 'stop_name', 'stop_lat', 'stop_lon', 'location_type', 'parent_station'],
    [...f.stops.values()].map((s) => [s.stopId, s.code, s.name, s.lat, s.lon, s.locationType, s.parentStation])),
  'calendar.txt': (f: GtfsFeed) => (f.calendars.size === 0 ? undefined : toCsv(['service_id', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday', 'start_date', 'end_date'],
    [...f.calendars.values()].map((c) => [c.serviceId, ...c.days.map(Number), c.startDate, c.endDate]))),
  'calendar_dates.txt': (f: GtfsFeed) => (f.calendarDates.length === 0 ? undefined : toCsv(['service_id', 'date', 'exception_type'],
    f.calendarDates.map((d) => [d.serviceId, d.date, d.exceptionType]))),
  'shapes.txt': (f: GtfsFeed) => (f.shapes.size === 0 ? undefined : toCsv(['shape_id', 'shape_pt_lat', 'shape_pt_lon', 'shape_pt_sequence', 'shape_dist_traveled'],
    [...f.shapes].flatMap(([id, pts]) => pts.map((p) => [id, p.lat, p.lon, p.sequence, p.distTraveled])))),
  'trips.txt': (f: GtfsFeed) => toCsv(['route_id', 'service_id', 'trip_id', 'trip_headsign', 'direction_id', 'block_id', 'shape_id'],
    [...f.trips.values()].map((t) => [t.routeId, t.serviceId, t.tripId, t.headsign, t.directionId, t.blockId, t.shapeId])),
  'stop_times.txt': (f: GtfsFeed) => toCsv(['trip_id', 'arrival_time', 'departure_time', 'stop_id', 'stop_sequence', 'shape_dist_traveled', 'timepoint'],
    [...f.stopTimes.values()].flat().map((st) => [st.tripId, formatGtfsTime(st.arrivalS), formatGtfsTime(st.departureS), st.stopId, st.stopSequence, st.shapeDistTraveled, st.timepoint])),
  'frequencies.txt': (f: GtfsFeed) => (f.frequencies.length === 0 ? undefined : toCsv(['trip_id', 'start_time', 'end_time', 'headway_secs', 'exact_times'],
    f.frequencies.map((q) => [q.tripId, formatGtfsTime(q.startS), formatGtfsTime(q.endS), q.headwayS, q.exactTimes]))),
} satisfies Record<string, (f: GtfsFeed) => string | undefined>;
export type GtfsTable = keyof typeof TABLES;
const ALL_TABLES = Object.keys(TABLES) as GtfsTable[];

/**
 * Writes `feed` into the folder `dir`: the tables named in `fromModel` (all it holds by default)
 * from the model, and every other file the feed was loaded with (translations.txt,
 * feed_info.txt …) as it was — so a loaded feed keeps what the model does not carry.
 */
export function writeGtfsFolder(dir: string, feed: GtfsFeed, fromModel: readonly GtfsTable[] = ALL_TABLES): void {
  for (const [name, bytes] of feed.files) if (!(fromModel as readonly string[]).includes(name)) writeFileSync(join(dir, name), bytes);
  for (const name of fromModel) {
    const text = TABLES[name](feed);
    if (text !== undefined) writeFileSync(join(dir, name), text);
  }
}

/**
 * `feed` with its timetable replaced by one around the clock: for each route and direction, the
 * trip (of those calling at the most stops) leaving its first stop nearest noon, repeated to reach
 * its first stop every `headwayMin` minutes from 00:00 to the last start before 24:00 (the last ones run past midnight,
 * as GTFS allows), with ids `{route}-{direction}-{HHMM}`, on one service that runs every day of
 * 2000–2099; no blocks and no frequencies.
 */
export function aroundTheClock(feed: GtfsFeed, headwayMin = 10): GtfsFeed {
  const templates = new Map<string, { trip: GtfsTrip; times: GtfsStopTime[] }>();
  for (const trip of feed.trips.values()) {
    const times = feed.stopTimes.get(trip.tripId) ?? [];
    if (times.length < 2) continue;
    const key = `${trip.routeId}-${trip.directionId ?? 0}`;
    const best = templates.get(key);
    const better = !best || times.length > best.times.length
      || (times.length === best.times.length && Math.abs(times[0]!.departureS - NOON_S) < Math.abs(best.times[0]!.departureS - NOON_S));
    if (better) templates.set(key, { trip, times });
  }
  const serviceId = 'EVERY-DAY';
  const trips = new Map<string, GtfsTrip>();
  const stopTimes = new Map<string, GtfsStopTime[]>();
  for (const [key, { trip, times }] of [...templates].sort(([a], [b]) => a.localeCompare(b))) {
    for (let startS = 0; startS < DAY_S; startS += headwayMin * 60) {
      const tripId = `${key}-${formatGtfsTime(startS).slice(0, 5).replace(':', '')}`;
      const shift = startS - times[0]!.arrivalS;
      trips.set(tripId, { tripId, routeId: trip.routeId, serviceId, directionId: trip.directionId ?? 0, ...(trip.headsign ? { headsign: trip.headsign } : {}), ...(trip.shapeId ? { shapeId: trip.shapeId } : {}) });
      stopTimes.set(tripId, times.map((st) => ({ ...st, tripId, arrivalS: st.arrivalS + shift, departureS: st.departureS + shift })));
    }
  }
  return { ...feed, trips, stopTimes, calendars: new Map([[serviceId, { serviceId, ...EVERY_DAY }]]), calendarDates: [], frequencies: [] };
}

/**
 * The demo city's feed (routes, stops, shapes, names and all) with `aroundTheClock` trips, written
 * into `dir`. Every 20 minutes by default: a board shows a stop's next 12 arrivals, and the hub
 * matches a vehicle waiting at a terminus to a departure up to 20 minutes ahead. Three routes call
 * at the stop the tests watch (Автовокзал): every 20 minutes, at most two scheduled arrivals of
 * each route and direction come before such a vehicle's, and it is on the board; every 10 minutes
 * it could fall off the end.
 */
export function writeDemoAroundTheClock(dir: string, headwayMin = 20): void {
  const loaded = loadGtfsPath(DEMO_GTFS_DIR);
  if (!loaded.ok) throw new Error(`the demo GTFS feed does not load: ${loaded.errors.map(formatIssue).join('; ')}`);
  writeGtfsFolder(dir, aroundTheClock(loaded.feed, headwayMin), ['calendar.txt', 'calendar_dates.txt', 'trips.txt', 'stop_times.txt', 'frequencies.txt']);
}
