import type { ControllerState } from './lighting.ts';
import type { MeterState } from './energy.ts';
import type { OpenArrivals, OpenRouteVehicle, OpenStopAlerts } from './open.ts';
import type { OpsAlert, ServiceAlert, StopBoard, VehicleState } from './transit.ts';

/**
 * Socket.IO event maps, per namespace. The handshake carries `auth: { token }` (not on `/open`).
 * Updates are coalesced per object: an object that changed is sent within LIVE_TICK_MS, but
 * never more often than once per LIVE_MIN_INTERVAL_MS; each batch holds the latest state.
 */
export const namespaces = {
  transit: '/transit',
  lighting: '/lighting',
  energy: '/energy',
  stops: '/stops',
  /** passengers: no token, read-only, rooms `stop:{stopId}` only */
  open: '/open',
} as const;

/** Rooms: `route:{routeId}`, `group:{groupId}`, `building:{buildingId}`, `stop:{stopId}`. */

/**
 * `/transit` room of the dispatch desk (dispatchers and admins): `opsAlerts` and `serviceAlerts`
 * only, no vehicles. The dispatch page keeps a second connection in it, so alerts come by push.
 */
export const DISPATCH_ALERTS_ROOM = 'alerts:dispatch';
export interface RoomRequest {
  room: string;
}
export interface ClientToServer {
  join: (req: RoomRequest, ack?: (result: { ok: boolean; error?: string }) => void) => void;
  leave: (req: RoomRequest) => void;
}

/**
 * Sent on every namespace just before the hub ends a connection whose token stopped being valid
 * (revoked, expired, its user deleted): the client should sign in again, not reconnect.
 */
export const SESSION_ENDED = 'session-ended';
export interface SessionEnded {
  reason: string;
}

export interface TransitServerEvents {
  snapshot: (vehicles: VehicleState[]) => void;
  vehicles: (vehicles: VehicleState[]) => void;
  /** operations alerts raised, acknowledged or cleared since the last push (room `route:{id}` gets its route's) */
  opsAlerts: (alerts: OpsAlert[]) => void;
  /** service alerts created, edited or ended since the last push (to DISPATCH_ALERTS_ROOM and namespace-wide) */
  serviceAlerts: (alerts: ServiceAlert[]) => void;
}
export interface LightingServerEvents {
  snapshot: (controllers: ControllerState[]) => void;
  controllers: (controllers: ControllerState[]) => void;
}
export interface EnergyServerEvents {
  snapshot: (meters: MeterState[]) => void;
  meters: (meters: MeterState[]) => void;
}
/**
 * `/stops`: join `stop:{stopId}`; `arrivals` brings the boards of the room's stop whenever they
 * change (and at least when a minute count changes), as `GET /api/v1/transit/stops/:stopId/arrivals`.
 */
export interface StopsServerEvents {
  snapshot: (boards: StopBoard[]) => void;
  arrivals: (boards: StopBoard[]) => void;
}

/**
 * `/open` (no token; passengers' page `/m/`): join `stop:{stopId}` (a stop of the feed; at most
 * OPEN_MAX_ROOMS at once). On joining, the stop's `arrivals` and `alerts` come at once; then
 * `arrivals` whenever the board changes (and at least when a minute count changes), `alerts` when
 * the alerts in force for the stop change. Or join `route:{routeId}` (a route of the feed; the
 * same bound): its `vehicles` reporting now at once, then each that moves or goes stale. Nothing
 * is sent namespace-wide: no `snapshot`.
 */
export interface OpenServerEvents {
  /** as `GET /api/v1/open/stops/:stopId/arrivals` answers, one per changed stop */
  arrivals: (boards: OpenArrivals[]) => void;
  alerts: (alerts: OpenStopAlerts[]) => void;
  /** room `route:{routeId}`: the route's vehicles that changed (at join: those reporting now) */
  vehicles: (vehicles: OpenRouteVehicle[]) => void;
}
/** Rooms one `/open` connection may be in at once. */
export const OPEN_MAX_ROOMS = 5;

/** How often the hub looks for changed objects to send. */
export const LIVE_TICK_MS = 10;
/** The shortest time between two updates of one object: at most four a second. */
export const LIVE_MIN_INTERVAL_MS = 250;
