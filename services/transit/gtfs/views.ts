/**
 * What the REST API and the map show of a feed: stops with the routes serving them, and routes
 * with a line and a stop list per direction. Pure functions of the feed; the routes plugin
 * caches them per feed.
 */
import type { TransitRoute, TransitStop } from '../../contracts/index.ts';
import type { GtfsFeed, GtfsStopTime, GtfsTrip } from './model.ts';

/** Every stop trips stop at (location_type 0), with the ids of the routes that serve it, by stop id. */
export function stopsView(feed: GtfsFeed): TransitStop[] {
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
    out.push({ stopId: s.stopId, name: s.name, lat: s.lat, lon: s.lon, ...(s.code ? { code: s.code } : {}), routeIds: [...(routesAt.get(s.stopId) ?? [])].sort() });
  }
  return out.sort((a, b) => a.stopId.localeCompare(b.stopId));
}

/** Each route with, per direction, the line and stops of its longest trip. */
export function routesView(feed: GtfsFeed): TransitRoute[] {
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
    const stops = [...stopIds].map((id) => feed.stops.get(id)).filter((s) => s !== undefined).map((s) => ({ stopId: s.stopId, name: s.name, lat: s.lat, lon: s.lon }));
    out.push({
      routeId: r.routeId,
      shortName: r.shortName,
      longName: r.longName,
      type: r.type,
      color: r.color ? `#${r.color}` : null,
      textColor: r.textColor ? `#${r.textColor}` : null,
      directions,
      stops,
    });
  }
  return out;
}
