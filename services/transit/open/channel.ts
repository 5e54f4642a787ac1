/**
 * `/open`, the passengers' Socket.IO namespace: no token, read-only, rooms `stop:{stopId}` of the
 * feed's stops (at most OPEN_MAX_ROOMS per connection). A joiner gets the stop's arrivals and
 * alerts at once, then each change: the boards are the `/stops` namespace's (one BoardPublisher,
 * read here and there), with the stop and route colours of the open REST answer. Connections and
 * joins spend the same per-address budget as the open REST endpoints. See docs/mobile.md.
 */
import { namespaces, OPEN_MAX_ROOMS, type OpenArrivals, type OpenStopAlerts } from '../../contracts/index.ts';
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
  now: () => number;
  maxConnectionsPerAddress?: number;
}

const PREFIX = 'stop:';
const stopOf = (room: string) => room.slice(PREFIX.length);

export function openChannel(deps: OpenChannelDeps): RealtimeChannel {
  const changedBoards = deps.boards.reader();
  const alerts = new StopAlertsWatch();
  return {
    namespace: namespaces.open,
    roles: [],
    roomPrefixes: ['stop'],
    open: {
      maxRooms: OPEN_MAX_ROOMS,
      maxConnectionsPerAddress: deps.maxConnectionsPerAddress ?? OPEN_CONNECTIONS_PER_ADDRESS,
      admit: (address) => {
        const took = deps.buckets.take(address, deps.now());
        return took.ok ? undefined : `too many requests from this address; try again in ${took.retryAfterS} s`;
      },
      exists: (room) => deps.views.current()?.byId.has(stopOf(room)) ?? false,
    },
    snapshot: () => [],
    joined: (room) => {
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
      if (!sweep) return [];
      const boards = changedBoards();
      const v = deps.views.current();
      if (!v) return [];
      const arrivals = boards.flatMap((b) => {
        const stop = v.byId.get(b.stopId);
        return stop ? [openArrivals(v, stop, b)] : [];
      });
      return [
        { event: 'arrivals', items: arrivals, roomsOf: (x) => [`${PREFIX}${(x as OpenArrivals).stop.stopId}`] },
        { event: 'alerts', items: alerts.changes(deps.serviceAlerts(), v.routeStops, deps.now()), roomsOf: (x) => [`${PREFIX}${(x as OpenStopAlerts).stopId}`] },
      ];
    },
  };
}
