/** A vehicle is off its route when it has been more than OFF_ROUTE_M from the shape for more than OFF_ROUTE_AFTER_MS. */
export const OFF_ROUTE_M = 100;
export const OFF_ROUTE_AFTER_MS = 60_000;

export interface OffRouteState {
  /** when the vehicle was first seen more than OFF_ROUTE_M off, in this spell; null when on the route */
  offSinceMs: number | null;
  offRoute: boolean;
}

export const ON_ROUTE: OffRouteState = { offSinceMs: null, offRoute: false };

/** The next state after a position `offM` metres from the shape at `tMs`. */
export function nextOffRoute(prev: OffRouteState, offM: number, tMs: number): OffRouteState {
  if (offM <= OFF_ROUTE_M) return ON_ROUTE;
  const since = prev.offSinceMs ?? tMs;
  return { offSinceMs: since, offRoute: tMs - since > OFF_ROUTE_AFTER_MS };
}
