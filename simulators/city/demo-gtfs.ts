/**
 * DEMO DATA. The demo city's routes as a GTFS static feed: agency, routes (trolleybus 11, bus 3),
 * stops, shapes, a timetable by time of day (every few minutes in the rush hours, less often at
 * midday, rarely late at night), one calendar for every day, and blocks (the chain of trips one
 * vehicle runs in a day). `make-demo-gtfs.ts` writes it to `demo-gtfs/`, which is committed.
 *
 * The running times come from the city's typical traffic (traffic.ts); the peak headway of each
 * route is what its share of the demo fleet (demoCity's 64 trackers) can run, so the feed has as
 * many blocks per route as the demo city has vehicles on it.
 */
import { fileURLToPath } from 'node:url';
import { toCsv } from '../../services/transit/gtfs/csv.ts';
import { formatGtfsTime } from '../../services/transit/gtfs/load.ts';
import { allocate } from './demo-city.ts';
import { Polyline } from './geo.ts';
import { DEMO_ROUTES, type Route } from './routes.ts';
import { typicalCruiseKmh, typicalDwellS } from './traffic.ts';
import { driveTime } from './vehicle-model.ts';

export const DEMO_AGENCY_ID = 'DEMO';
export const DEMO_SERVICE_ID = 'DAILY';
/** Shortest stand at a terminus between two trips, seconds (the timetable's recovery time). */
export const MIN_LAYOVER_S = 300;
const FIRST_DEPARTURE_S = 5 * 3600 + 30 * 60;
const LAST_DEPARTURE_S = 22 * 3600 + 45 * 60;

/** Colours of the routes (RRGGBB), distinct on the dark map and on paper. */
const ROUTE_COLORS: Record<string, string> = {
  T1: 'E53935', T2: '1E88E5', T3: '43A047', T5: '8E24AA', T7: 'FB8C00',
  A101: '00897B', A105: '6D4C41', A112: 'C0CA33', A120: 'D81B60', A127: '3949AB',
};

export interface DemoTrip {
  tripId: string;
  routeId: string;
  directionId: 0 | 1;
  blockId: string;
  shapeId: string;
  headsign: string;
  /** per stop in travel order: [stopId, arrival s, departure s, metres along the shape] */
  stops: Array<[string, number, number, number]>;
}

/** Headway at the first terminus as a multiple of the route's peak headway, by time of day. */
function headwayFactor(s: number): number {
  const h = s / 3600;
  if (h < 6.5) return 2;
  if (h < 7) return 1.4;
  if (h < 10) return 1;
  if (h < 16) return 1.5;
  if (h < 19) return 1;
  if (h < 21) return 1.8;
  return 2.6;
}

/** The stops of a route in one direction with their distances along that direction's shape. */
function directed(route: Route, dir: 0 | 1): Array<{ id: string; atM: number }> {
  const stops = route.stops.map((s) => ({ id: s.id, atM: s.atM }));
  return dir === 0 ? stops : stops.reverse().map((s) => ({ id: s.id, atM: route.lengthM - s.atM }));
}

/** Scheduled stop times of one trip leaving its first stop at `departS`. */
function tripTimes(route: Route, dir: 0 | 1, departS: number): Array<[string, number, number, number]> {
  const stops = directed(route, dir);
  const out: Array<[string, number, number, number]> = [];
  let t = departS;
  for (let i = 0; i < stops.length; i++) {
    const s = stops[i]!;
    if (i > 0) {
      const d = s.atM - stops[i - 1]!.atM;
      t += driveTime(d, typicalCruiseKmh(t / 60) / 3.6);
    }
    const arr = Math.round(t);
    const last = i === stops.length - 1;
    const dep = i === 0 || last ? arr : Math.round(t + typicalDwellS(t / 60));
    out.push([s.id, arr, dep, Math.round(s.atM * 10) / 10]);
    t = dep;
  }
  return out;
}

/** Running time of a whole trip starting at s. */
const runS = (route: Route, dir: 0 | 1, s: number) => {
  const st = tripTimes(route, dir, s);
  return st[st.length - 1]![1] - s;
};

/**
 * The day's trips of one route, chained into `fleet` blocks or so: departures from the first
 * terminus by headway; each vehicle runs there and back and takes the next departure it can
 * make after its layover (the one that has waited longest first).
 */
export function routeTimetable(route: Route, fleet: number): DemoTrip[] {
  // Peak headway: one round trip in the evening rush shared by the fleet, in whole minutes.
  const peak = 17.5 * 3600;
  const cycle = runS(route, 0, peak) + runS(route, 1, peak) + 2 * MIN_LAYOVER_S;
  const peakHeadway = Math.ceil(cycle / Math.max(1, fleet) / 60) * 60;
  const departures: number[] = [];
  for (let t = FIRST_DEPARTURE_S; t <= LAST_DEPARTURE_S; t += Math.round((peakHeadway * headwayFactor(t)) / 60) * 60) departures.push(t);

  const pool: Array<{ block: number; readyS: number }> = [];
  let blocks = 0;
  const trips: DemoTrip[] = [];
  const headsign = (dir: 0 | 1) => {
    const s = dir === 0 ? route.stops[route.stops.length - 1]! : route.stops[0]!;
    return s.name.uk;
  };
  const make = (dir: 0 | 1, depart: number, block: number): DemoTrip => {
    const stops = tripTimes(route, dir, depart);
    const trip: DemoTrip = {
      tripId: `${route.id}-${dir}-${formatGtfsTime(depart).slice(0, 5).replace(':', '')}`,
      routeId: route.id,
      directionId: dir,
      blockId: `${route.id}-B${String(block + 1).padStart(2, '0')}`,
      shapeId: `${route.id}-${dir}`,
      headsign: headsign(dir),
      stops,
    };
    trips.push(trip);
    return trip;
  };
  for (const depart of departures) {
    // The vehicle that has stood longest among those ready; otherwise one more block.
    pool.sort((a, b) => a.readyS - b.readyS || a.block - b.block);
    const i = pool.findIndex((v) => v.readyS <= depart);
    const block = i >= 0 ? pool.splice(i, 1)[0]!.block : blocks++;
    const out = make(0, depart, block);
    const arrive = out.stops[out.stops.length - 1]![1];
    const back = make(1, Math.ceil((arrive + MIN_LAYOVER_S) / 60) * 60, block);
    pool.push({ block, readyS: back.stops[back.stops.length - 1]![1] + MIN_LAYOVER_S });
  }
  return trips;
}

/** Every trip of the demo feed, per route, for a fleet of `vehicles` trackers spread as demoCity spreads them. */
export function demoTimetable(vehicles = 64, routes: readonly Route[] = DEMO_ROUTES): DemoTrip[] {
  const fleet = allocate(vehicles, routes);
  return routes.flatMap((r, i) => routeTimetable(r, fleet[i]!));
}

const r6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** The feed's files as CSV text, by file name. */
export function demoGtfsFiles(vehicles = 64, routes: readonly Route[] = DEMO_ROUTES): Record<string, string> {
  const trips = demoTimetable(vehicles, routes);
  const stops = new Map<string, Route['stops'][number] & { routes: string[] }>();
  for (const r of routes) for (const s of r.stops) stops.set(s.id, { ...(stops.get(s.id) ?? s), routes: [...(stops.get(s.id)?.routes ?? []), r.id] });
  const stopCodes = new Map([...stops.keys()].sort().map((id, i) => [id, String(1001 + i)]));

  const shapes: Array<[string, number, number, number, number]> = [];
  for (const r of routes) {
    for (const dir of [0, 1] as const) {
      const pts = dir === 0 ? [...r.polyline] : [...r.polyline].reverse();
      const line = new Polyline(pts);
      pts.forEach((p, i) => shapes.push([`${r.id}-${dir}`, r6(p[0]), r6(p[1]), i + 1, Math.round(line.cum[i]! * 10) / 10]));
    }
  }

  return {
    'agency.txt': toCsv(
      ['agency_id', 'agency_name', 'agency_url', 'agency_timezone', 'agency_lang'],
      [[DEMO_AGENCY_ID, 'DEMO Кропивницький міський транспорт (демонстраційні дані)', 'https://example.org/mistohub-demo', 'Europe/Kyiv', 'uk']],
    ),
    'feed_info.txt': toCsv(
      ['feed_publisher_name', 'feed_publisher_url', 'feed_lang', 'feed_version'],
      [['mistohub demo city (DEMO data, not a real timetable)', 'https://example.org/mistohub-demo', 'uk', 'demo-1']],
    ),
    'routes.txt': toCsv(
      ['route_id', 'agency_id', 'route_short_name', 'route_long_name', 'route_desc', 'route_type', 'route_color', 'route_text_color'],
      routes.map((r) => [
        r.id,
        DEMO_AGENCY_ID,
        r.id.replace(/^[TA]/, ''),
        r.name.uk,
        `DEMO ${r.kind === 'trolleybus' ? 'тролейбус' : 'автобус'}; ${r.name.en}`,
        r.kind === 'trolleybus' ? 11 : 3,
        ROUTE_COLORS[r.id] ?? '546E7A',
        'FFFFFF',
      ]),
    ),
    'stops.txt': toCsv(
      ['stop_id', 'stop_code', 'stop_name', 'stop_desc', 'stop_lat', 'stop_lon', 'location_type'],
      [...stops.values()].sort((a, b) => a.id.localeCompare(b.id)).map((s) => [s.id, stopCodes.get(s.id), s.name.uk, `DEMO; ${s.name.en}`, r6(s.lat), r6(s.lon), 0]),
    ),
    'translations.txt': toCsv(
      ['table_name', 'field_name', 'language', 'translation', 'record_id'],
      [
        ...routes.map((r) => ['routes', 'route_long_name', 'en', r.name.en, r.id]),
        ...[...stops.values()].sort((a, b) => a.id.localeCompare(b.id)).map((s) => ['stops', 'stop_name', 'en', s.name.en, s.id]),
      ],
    ),
    'calendar.txt': toCsv(
      ['service_id', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday', 'start_date', 'end_date'],
      [[DEMO_SERVICE_ID, 1, 1, 1, 1, 1, 1, 1, '20240101', '20301231']],
    ),
    'shapes.txt': toCsv(['shape_id', 'shape_pt_lat', 'shape_pt_lon', 'shape_pt_sequence', 'shape_dist_traveled'], shapes),
    'trips.txt': toCsv(
      ['route_id', 'service_id', 'trip_id', 'trip_headsign', 'direction_id', 'block_id', 'shape_id'],
      trips.map((t) => [t.routeId, DEMO_SERVICE_ID, t.tripId, t.headsign, t.directionId, t.blockId, t.shapeId]),
    ),
    'stop_times.txt': toCsv(
      ['trip_id', 'arrival_time', 'departure_time', 'stop_id', 'stop_sequence', 'shape_dist_traveled', 'timepoint'],
      trips.flatMap((t) => t.stops.map(([stopId, arr, dep, dist], i) => [t.tripId, formatGtfsTime(arr), formatGtfsTime(dep), stopId, i + 1, dist, 1])),
    ),
  };
}

/** The committed demo feed's folder (simulators/city/demo-gtfs/), as `npm start` hands it to the hub. */
export const DEMO_GTFS_DIR = fileURLToPath(new URL('./demo-gtfs/', import.meta.url));
