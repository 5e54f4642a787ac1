/**
 * The service alerts in force for each stop — named by the alert, or served by a route it names —
 * in the GTFS-Realtime JSON form of `/gtfs-rt/alerts?format=json`, and which stops' lists changed
 * since the last look. Pure: the alerts, the routes' stops and the clock are passed in.
 */
import type { OpenAlertEntity, OpenStopAlerts } from '../../contracts/index.ts';
import { alerts as alertsFeed, feedJson, type ServiceAlertInput } from '../realtime/gtfs-rt.ts';

const inForce = (a: ServiceAlertInput, nowMs: number) => (a.startMs === null || a.startMs <= nowMs) && (a.endMs === null || a.endMs > nowMs);

/** Stop id → the alerts in force there now, in the order given. Stops without any are absent. */
export function alertsByStop(list: readonly ServiceAlertInput[], routeStops: ReadonlyMap<string, readonly string[]>, nowMs: number): Map<string, OpenAlertEntity[]> {
  const now = list.filter((a) => inForce(a, nowMs));
  const entities = new Map(((feedJson(alertsFeed(now, nowMs)) as { entity?: OpenAlertEntity[] }).entity ?? []).map((e) => [e.id, e]));
  const out = new Map<string, OpenAlertEntity[]>();
  for (const a of now) {
    const entity = entities.get(a.id);
    if (!entity) continue;
    const stops = new Set([...a.stopIds, ...a.routeIds.flatMap((r) => routeStops.get(r) ?? [])]);
    for (const stopId of stops) (out.get(stopId) ?? out.set(stopId, []).get(stopId)!).push(entity);
  }
  return out;
}

/** Remembers what each stop was last told, to send only the stops whose alerts changed. */
export class StopAlertsWatch {
  private told = new Map<string, string>();
  private lastKey = '';
  private lastRouteStops: ReadonlyMap<string, readonly string[]> | undefined;

  /** The stops whose alerts in force changed since the last call (an empty list where the last one ended). */
  changes(list: readonly ServiceAlertInput[], routeStops: ReadonlyMap<string, readonly string[]>, nowMs: number): OpenStopAlerts[] {
    // Most seconds nothing changed: the alerts in force, compared whole, say so cheaply.
    const key = JSON.stringify(list.filter((a) => inForce(a, nowMs)));
    if (key === this.lastKey && routeStops === this.lastRouteStops) return [];
    this.lastKey = key;
    this.lastRouteStops = routeStops;
    const now = alertsByStop(list, routeStops, nowMs);
    const generatedAt = new Date(nowMs).toISOString();
    const out: OpenStopAlerts[] = [];
    const next = new Map<string, string>();
    for (const [stopId, alerts] of now) {
      const sig = JSON.stringify(alerts);
      next.set(stopId, sig);
      if (this.told.get(stopId) !== sig) out.push({ stopId, generatedAt, alerts });
    }
    for (const stopId of this.told.keys()) if (!now.has(stopId)) out.push({ stopId, generatedAt, alerts: [] });
    this.told = next;
    return out;
  }
}
