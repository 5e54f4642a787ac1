/**
 * Operations alerts, the pure part: which conditions hold now (bunching, gaps, early or late
 * running, off-route, a silent tracker, a trip nobody runs), and how the open alerts follow
 * them (raise what is new, clear what ended). The clock is passed in; no I/O here.
 */
import type { OpsAlertKind } from '../../contracts/index.ts';
import type { VehicleTripState } from '../realtime/engine.ts';

export interface OpsThresholds {
  /** later than this (s) → `late` */
  lateS: number;
  /** earlier than this (s, positive) → `early` */
  earlyS: number;
  /** no position for this long (ms) while running a trip → `stale-tracker` */
  staleMs: number;
  /** a trip that should have started this long ago (ms) with no vehicle → `no-vehicle` */
  noVehicleAfterMs: number;
  /** a headway rating older than this (ms) no longer counts */
  headwayMaxAgeMs: number;
}

export const DEFAULT_THRESHOLDS: OpsThresholds = { lateS: 300, earlyS: 120, staleMs: 150_000, noVehicleAfterMs: 180_000, headwayMaxAgeMs: 20 * 60_000 };

/** A trip instance under way (or due) with no fresh vehicle running it. */
export interface UnservedTrip {
  tripId: string;
  routeId: string;
  startMs: number;
  endMs: number;
}

/** A condition that holds now; `key` names it across evaluations (one alert per key while it lasts). */
export interface OpsCondition {
  key: string;
  kind: OpsAlertKind;
  vehicleId: string | null;
  tripId: string | null;
  routeId: string | null;
  /** the measure behind it: delay s, off-route m, silence s, headway ratio, minutes since due */
  value: number;
  message: string;
}

export function detectConditions(states: readonly VehicleTripState[], unserved: readonly UnservedTrip[], nowMs: number, th: OpsThresholds = DEFAULT_THRESHOLDS): OpsCondition[] {
  const out: OpsCondition[] = [];
  for (const s of states) {
    if (!s.tripId) continue;
    const base = { vehicleId: s.vehicleId, tripId: s.tripId, routeId: s.routeId };
    const silentMs = nowMs - s.lastPositionMs;
    if (silentMs > th.staleMs) {
      // A silent tracker's delay and place are old news: only the silence is raised.
      out.push({ ...base, key: `stale-tracker:${s.vehicleId}`, kind: 'stale-tracker', value: Math.round(silentMs / 1000), message: `no position for ${Math.round(silentMs / 1000)} s` });
      continue;
    }
    if (s.offRoute) out.push({ ...base, key: `off-route:${s.vehicleId}`, kind: 'off-route', value: s.offRouteM ?? 0, message: `${s.offRouteM ?? '?'} m off the route` });
    else if (s.delayS !== null && s.delayS > th.lateS) out.push({ ...base, key: `late:${s.vehicleId}`, kind: 'late', value: s.delayS, message: `${Math.round(s.delayS / 60)} min late` });
    else if (s.delayS !== null && s.delayS < -th.earlyS) out.push({ ...base, key: `early:${s.vehicleId}`, kind: 'early', value: s.delayS, message: `${Math.round(-s.delayS / 60)} min early` });
    const h = s.headway;
    if (h && nowMs - h.atMs <= th.headwayMaxAgeMs) {
      const ratio = Math.round(h.ratio * 100) / 100;
      const what = `headway ${Math.round(h.actualS / 60)} min behind ${h.leaderVehicleId} (scheduled ${Math.round(h.scheduledS / 60)} min) at ${h.stopId}`;
      if (h.rating === 'bunched' || h.rating === 'very-bunched') out.push({ ...base, key: `bunching:${s.vehicleId}`, kind: 'bunching', value: ratio, message: what });
      if (h.rating === 'gapped' || h.rating === 'very-gapped') out.push({ ...base, key: `gap:${s.vehicleId}`, kind: 'gap', value: ratio, message: what });
    }
  }
  for (const u of unserved) {
    const lateMs = nowMs - u.startMs;
    if (lateMs <= th.noVehicleAfterMs || nowMs > u.endMs) continue;
    out.push({ key: `no-vehicle:${u.tripId}@${u.startMs}`, kind: 'no-vehicle', vehicleId: null, tripId: u.tripId, routeId: u.routeId, value: Math.round(lateMs / 60_000), message: `no vehicle on trip ${u.tripId}, due ${Math.round(lateMs / 60_000)} min ago` });
  }
  return out;
}

/**
 * What to do with the open alerts (their keys, with when each cause was last seen) given the
 * conditions that hold now: raise the new, keep the going, and clear those whose cause has not
 * been seen for `clearAfterMs` (so a delay hovering about a threshold does not raise and clear
 * an alert every few seconds).
 */
export function reconcile(open: ReadonlyMap<string, number>, conditions: readonly OpsCondition[], nowMs: number, clearAfterMs = 30_000): { raise: OpsCondition[]; keep: OpsCondition[]; clear: string[] } {
  const now = new Map(conditions.map((c) => [c.key, c]));
  const raise: OpsCondition[] = [];
  const keep: OpsCondition[] = [];
  for (const c of now.values()) (open.has(c.key) ? keep : raise).push(c);
  const clear = [...open].filter(([k, seenMs]) => !now.has(k) && nowMs - seenMs >= clearAfterMs).map(([k]) => k);
  return { raise, keep, clear };
}
