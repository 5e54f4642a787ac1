/**
 * What the open API and the `/open` namespace read of the GTFS feed: stops with their routes'
 * colours, routes by id, the stops each route calls at. Rebuilt when the feed object changes
 * (an upload swaps it).
 */
import type { OpenArrivals, OpenStop, StopBoard, TransitRoute, TransitStop } from '../../contracts/index.ts';
import type { GtfsFeed } from '../gtfs/model.ts';
import { routesView, stopsView } from '../gtfs/views.ts';

export interface FeedViews {
  feed: GtfsFeed;
  stops: OpenStop[];
  byId: Map<string, OpenStop>;
  routes: Map<string, TransitRoute>;
  /** route id → the stops it calls at */
  routeStops: Map<string, string[]>;
}

export class OpenViews {
  private cache: FeedViews | undefined;

  constructor(private readonly feed: () => GtfsFeed | undefined) {}

  /** The views of the current feed; undefined while none is loaded. */
  current(): FeedViews | undefined {
    const feed = this.feed();
    if (!feed) return undefined;
    if (this.cache?.feed === feed) return this.cache;
    const routes = new Map(routesView(feed).map((r) => [r.routeId, r]));
    const ref = (id: string) => {
      const r = routes.get(id);
      return { routeId: id, shortName: r?.shortName ?? id, type: r?.type ?? 3, color: r?.color ?? null, textColor: r?.textColor ?? null };
    };
    const routeStops = new Map<string, string[]>();
    const stops = stopsView(feed).map(({ routeIds, ...s }: TransitStop) => {
      for (const id of routeIds) (routeStops.get(id) ?? routeStops.set(id, []).get(id)!).push(s.stopId);
      return { ...s, routes: routeIds.map(ref).sort((a, b) => a.shortName.localeCompare(b.shortName, 'uk', { numeric: true })) };
    });
    this.cache = { feed, stops, byId: new Map(stops.map((s) => [s.stopId, s])), routes, routeStops };
    return this.cache;
  }
}

/** A stop's board as passengers get it: with the stop, and each arrival's route colours. */
export function openArrivals(views: FeedViews, stop: OpenStop, board: StopBoard): OpenArrivals {
  const colours = (routeId: string) => ({ color: views.routes.get(routeId)?.color ?? null, textColor: views.routes.get(routeId)?.textColor ?? null });
  return { stop, generatedAt: board.generatedAt, arrivals: board.arrivals.map((a) => ({ ...a, ...colours(a.routeId) })) };
}
