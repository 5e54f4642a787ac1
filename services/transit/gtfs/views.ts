/**
 * What the REST API and the map show of a feed: stops with the routes serving them, and routes
 * with a line and a stop list per direction. Pure functions of the feed; the routes plugin
 * caches them per feed.
 */
import type { TransitRoute, TransitStop } from '../../contracts/index.ts';
import { scanCsv } from './csv.ts';
import type { GtfsFeed, GtfsStopTime, GtfsTrip } from './model.ts';

/**
 * Names in other languages from translations.txt (the GTFS form with record_id):
 * `${table}/${field}/${recordId}` → language → text. A file the loader does not check, so a
 * broken one gives no translations rather than an error.
 */
export function translations(feed: GtfsFeed): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  const bytes = feed.files.get('translations.txt');
  if (!bytes) return out;
  try {
    let cols: Map<string, number> | undefined;
    scanCsv(new TextDecoder().decode(bytes), (f) => {
      if (!cols) {
        cols = new Map(f.map((c, i) => [c.trim(), i]));
        return;
      }
      const get = (c: string) => (cols!.has(c) ? (f[cols!.get(c)!] ?? '').trim() : '');
      const [table, field, lang, text, id] = ['table_name', 'field_name', 'language', 'translation', 'record_id'].map(get);
      if (!table || !field || !lang || !text || !id) return;
      const key = `${table}/${field}/${id}`;
      out.set(key, { ...(out.get(key) ?? {}), [lang]: text });
    });
  } catch {
    return new Map();
  }
  return out;
}

/** Every stop trips stop at (location_type 0), with the ids of the routes that serve it, by stop id. */
export function stopsView(feed: GtfsFeed): TransitStop[] {
  const names = translations(feed);
  const routesAt = new Map<string, Set<string>>();
  for (const [tripId, sts] of feed.stopTimes) {
    const trip = feed.trips.get(tripId);
    if (!trip) continue;
    for (const st of sts) {
      let set = routesAt.get(st.stopId);
      if (!set) routesAt.set(st.stopId, (set = new Set()));
      set.add(trip.routeId);
    }
  }
  const out: TransitStop[] = [];
  for (const s of feed.stops.values()) {
    if (s.locationType !== 0) continue;
    const other = names.get(`stops/stop_name/${s.stopId}`);
    out.push({ stopId: s.stopId, name: s.name, lat: s.lat, lon: s.lon, ...(s.code ? { code: s.code } : {}), ...(other ? { names: other } : {}), routeIds: [...(routesAt.get(s.stopId) ?? [])].sort() });
  }
  return out.sort((a, b) => a.stopId.localeCompare(b.stopId));
}

/** Each route with, per direction, the line and stops of its longest trip. */
export function routesView(feed: GtfsFeed): TransitRoute[] {
  const names = translations(feed);
  // The representative trip of each route and direction: the one with the most stops.
  const best = new Map<string, { trip: GtfsTrip; sts: GtfsStopTime[] }>();
  for (const trip of feed.trips.values()) {
    const sts = feed.stopTimes.get(trip.tripId);
    if (!sts) continue;
    const key = `${trip.routeId}\u0000${trip.directionId ?? ''}`;
    const known = best.get(key);
    if (!known || sts.length > known.sts.length) best.set(key, { trip, sts });
  }
  const out: TransitRoute[] = [];
  for (const r of feed.routes.values()) {
    const directions: TransitRoute['directions'] = [];
    const stopIds = new Set<string>();
    for (const dir of ['0', '1', ''] as const) {
      const b = best.get(`${r.routeId}\u0000${dir}`);
      if (!b) continue;
      const pts = b.trip.shapeId ? feed.shapes.get(b.trip.shapeId) : undefined;
      const shape: Array<[number, number]> = pts
        ? pts.map((p) => [p.lat, p.lon])
        : b.sts.map((st) => feed.stops.get(st.stopId)).filter((s) => s !== undefined).map((s) => [s.lat, s.lon]);
      for (const st of b.sts) stopIds.add(st.stopId);
      directions.push({
        directionId: b.trip.directionId ?? null,
        headsign: b.trip.headsign ?? null,
        shapeId: b.trip.shapeId ?? null,
        shape,
        stopIds: b.sts.map((st) => st.stopId),
      });
    }
    const stops = [...stopIds]
      .map((id) => feed.stops.get(id))
      .filter((s) => s !== undefined)
      .map((s) => {
        const other = names.get(`stops/stop_name/${s.stopId}`);
        return { stopId: s.stopId, name: s.name, lat: s.lat, lon: s.lon, ...(other ? { names: other } : {}) };
      });
    const longNames = names.get(`routes/route_long_name/${r.routeId}`);
    out.push({
      routeId: r.routeId,
      shortName: r.shortName,
      longName: r.longName,
      ...(longNames ? { longNames } : {}),
      type: r.type,
      color: r.color ? `#${r.color}` : null,
      textColor: r.textColor ? `#${r.textColor}` : null,
      directions,
      stops,
    });
  }
  return out;
}
