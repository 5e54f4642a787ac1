import type { IANAZone } from 'luxon';
import type { LightingSchedule } from '../../contracts/index.ts';
import type { ActiveOverride } from '../dispatch/overrides.ts';
import { nextChangeAfter, scheduledAt } from '../schedule/plan.ts';
import type { Place } from '../schedule/sun.ts';

/** What the hub wants a cabinet to do now, and until when at the latest. */
export interface Desired {
  level: number;
  /** `schedule` or `override:{id}` */
  source: string;
  /** the moment this desire ends by itself (override expiry, next change of the plan) */
  until: number;
}

const RANK = { emergency: 2, operator: 1 } as const;
/** A schedule command stays valid a day at most, so a silent plan still gets re-sent daily. */
const MAX_COMMAND_LIFE_MS = 24 * 3_600_000;

/** The override that governs a cabinet: the highest priority, then the newest. */
export function governingOverride(controllerId: string, groupId: string | null, overrides: readonly ActiveOverride[], nowMs: number): ActiveOverride | undefined {
  let best: ActiveOverride | undefined;
  for (const o of overrides) {
    if (o.expiresAt <= nowMs) continue;
    if (o.controllerId !== controllerId && (o.groupId === null || o.groupId !== groupId)) continue;
    if (!best || RANK[o.priority] > RANK[best.priority] || (RANK[o.priority] === RANK[best.priority] && o.createdAt > best.createdAt)) best = o;
  }
  return best;
}

/** The scheduled level of a group now, computed once per tick for all its cabinets. */
export function scheduleDesire(schedule: LightingSchedule, nowMs: number, place: Place, zone: IANAZone): Desired {
  const { level } = scheduledAt(schedule, nowMs, place, zone);
  const next = nextChangeAfter(schedule, nowMs, place, zone);
  return { level, source: 'schedule', until: Math.min(next ?? Infinity, nowMs + MAX_COMMAND_LIFE_MS) };
}

/** Emergency above operator above schedule; null when nothing governs the cabinet (no schedule, no override). */
export function desiredFor(controllerId: string, groupId: string | null, overrides: readonly ActiveOverride[], scheduled: Desired | undefined, nowMs: number): Desired | null {
  const o = governingOverride(controllerId, groupId, overrides, nowMs);
  if (o) return { level: o.level, source: `override:${o.id}`, until: o.expiresAt };
  return scheduled ?? null;
}
