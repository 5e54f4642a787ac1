/**
 * `/open`, the passengers' Socket.IO namespace: no token, read-only, rooms `stop:{stopId}` of the
 * feed's stops and `route:{routeId}` of its routes (at most OPEN_MAX_ROOMS per connection). A
 * stop's joiner gets its arrivals and alerts at once, then each change: the boards are the
 * `/stops` namespace's (one BoardPublisher, read here and there), with the stop and route colours
 * of the open REST answer. A route's joiner gets its vehicles reporting now, then each that moved
 * or went stale: the `/transit` namespace's changes of the live table (one ChangeFeed, read here
 * and there), cut to what a passenger needs. Connections and joins spend the same per-address
 * budget as the open REST endpoints. See docs/mobile.md.
 */
import { namespaces, OPEN_MAX_ROOMS, type OpenArrivals, type OpenRouteVehicle, type OpenStopAlerts, type VehicleState } from '../../contracts/index.ts';
import type { RealtimeChannel } from '../../platform/domain-module.ts';
import type { BoardPublisher } from '../realtime/boards.ts';
import { buildBoard } from '../realtime/boards.ts';
import type { RealtimeEngine } from '../realtime/engine.ts';
import type { ServiceAlertInput } from '../realtime/gtfs-rt.ts';
import type { TokenBuckets } from './rate-limit.ts';
import { alertsByStop, StopAlertsWatch } from './stop-alerts.ts';
import { openArrivals, type OpenViews } from './views.ts';

/** Connections at once from one address: carriers put many phones behind one address (CGNAT). */
export const OPEN_CONNECTIONS_PER_ADDRESS = 100;

export interface OpenChannelDeps {
  views: OpenViews;
  engine: RealtimeEngine;
  boards: BoardPublisher;
  serviceAlerts: () => readonly ServiceAlertInput[];
  /** the open REST endpoints' buckets: one budget per address */
  buckets: TokenBuckets;
  /** the live vehicles of a route (LiveVehicles.byRoute) */
  vehiclesOf: (routeId: string) => VehicleState[];
  /** this namespace's reader of the live vehicles' changes (a ChangeFeed's, shared with `/transit`); asked every tick */
  vehicleChanges: (sweep: boolean) => VehicleState[];
  now: () => number;
  maxConnectionsPerAddress?: number;
}

const PREFIX = 'stop:';
const ROUTE = 'route:';
const stopOf = (room: string) => room.slice(PREFIX.length);
const routeOf = (room: string) => room.slice(ROUTE.length);

/** What a passenger gets of a live vehicle: no device id, trip, progress or headway. */
const openVehicle = (v: VehicleState & { routeId: string }): OpenRouteVehicle =>
  ({ vehicleId: v.vehicleId, routeId: v.routeId, lat: v.lat, lon: v.lon, courseDeg: v.courseDeg, stale: v.stale, ts: v.ts });

export function openChannel(deps: OpenChannelDeps): RealtimeChannel {
  const changedBoards = deps.boards.reader();
  const alerts = new StopAlertsWatch();
  return {
    namespace: namespaces.open,
    roles: [],
    roomPrefixes: ['stop', 'route'],
    open: {
      maxRooms: OPEN_MAX_ROOMS,
      maxConnectionsPerAddress: deps.maxConnectionsPerAddress ?? OPEN_CONNECTIONS_PER_ADDRESS,
      admit: (address) => {
        const took = deps.buckets.take(address, deps.now());
        return took.ok ? undefined : `too many requests from this address; try again in ${took.retryAfterS} s`;
      },
      exists: (room) => {
        const v = deps.views.current();
        if (!v) return false;
        return room.startsWith(ROUTE) ? v.routes.has(routeOf(room)) : v.byId.has(stopOf(room));
      },
    },
    snapshot: () => [],
    joined: (room) => {
      if (room.startsWith(ROUTE)) {
        const routeId = routeOf(room);
        if (!deps.views.current()?.routes.has(routeId)) return [];
        // Those reporting now, as GET /api/v1/open/routes/:routeId lists them.
        const now = deps.vehiclesOf(routeId).filter((x) => !x.stale).map((x) => openVehicle({ ...x, routeId }));
        return [{ event: 'vehicles', items: now }];
      }
      const v = deps.views.current();
      const stop = v?.byId.get(stopOf(room));
      if (!v || !stop) return [];
      const now = deps.now();
      // From now on its board goes out at each change and minute, timetable-only or not.
      deps.boards.watch(stop.stopId);
      const told: OpenStopAlerts = { stopId: stop.stopId, generatedAt: new Date(now).toISOString(), alerts: alertsByStop(deps.serviceAlerts(), v.routeStops, now).get(stop.stopId) ?? [] };
      return [
        { event: 'arrivals', items: [openArrivals(v, stop, buildBoard(deps.engine, stop.stopId, now))] },
        { event: 'alerts', items: [told] },
      ];
    },
    tick: (sweep) => {
      // Vehicles every tick (coalesced per vehicle by the live table, as on /transit), boards and alerts once a second.
      const moved = deps.vehicleChanges(sweep);
      const v = deps.views.current();
      const vehicles = {
        event: 'vehicles',
        items: v ? moved.filter((x): x is VehicleState & { routeId: string } => !!x.routeId && v.routes.has(x.routeId)).map(openVehicle) : [],
        roomsOf: (x: unknown) => [`${ROUTE}${(x as OpenRouteVehicle).routeId}`],
      };
      if (!sweep) return [vehicles];
      const boards = changedBoards();
      if (!v) return [];
      const arrivals = boards.flatMap((b) => {
        const stop = v.byId.get(b.stopId);
        return stop ? [openArrivals(v, stop, b)] : [];
      });
      return [
        vehicles,
        { event: 'arrivals', items: arrivals, roomsOf: (x) => [`${PREFIX}${(x as OpenArrivals).stop.stopId}`] },
        { event: 'alerts', items: alerts.changes(deps.serviceAlerts(), v.routeStops, deps.now()), roomsOf: (x) => [`${PREFIX}${(x as OpenStopAlerts).stopId}`] },
      ];
    },
  };
}
