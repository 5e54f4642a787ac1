import type { Device, LightingState } from '../../contracts/index.ts';
import { sunIsUp, type Place } from '../schedule/sun.ts';
import { findFaults } from './evaluate.ts';
import type { FaultTable } from './fault-table.ts';

/**
 * Works out every cabinet's faults on each sweep (the dispatch pass, every few seconds) from
 * the last state it reported, the plan, the sun and the thresholds, and writes only changes.
 */
export class FaultMonitor {
  private readonly latest = new Map<string, { state: LightingState; receivedMs: number }>();
  private ratings: Map<string, number>;
  private settings;

  constructor(private readonly table: FaultTable, private readonly place: Place) {
    this.ratings = table.ratings();
    this.settings = table.settings();
  }

  /** A state message came in (cheap: the sweep does the work). */
  observe(device: Device, state: LightingState, receivedMs: number): void {
    this.latest.set(device.id, { state, receivedMs });
  }

  /** Thresholds or ratings changed. */
  reload(): void {
    this.ratings = this.table.ratings();
    this.settings = this.table.settings();
  }

  forget(controllerId: string, nowMs: number): void {
    this.latest.delete(controllerId);
    this.table.reconcile(controllerId, [], nowMs);
  }

  sweep(cabinets: readonly Device[], desiredOf: (id: string) => number | undefined, nowMs: number): { raised: number; cleared: number } {
    const sunUp = sunIsUp(nowMs, this.place);
    let raised = 0;
    let cleared = 0;
    for (const d of cabinets) {
      const seen = this.latest.get(d.id);
      const ratedW = this.ratings.get(d.id);
      const desiredLevel = desiredOf(d.id);
      const findings = findFaults({
        ...(seen ? { state: seen.state, receivedMs: seen.receivedMs } : {}),
        ...(ratedW !== undefined ? { ratedW } : {}),
        ...(desiredLevel !== undefined ? { desiredLevel } : {}),
      }, this.settings, nowMs, sunUp);
      const r = this.table.reconcile(d.id, findings, nowMs);
      raised += r.raised;
      cleared += r.cleared;
    }
    return { raised, cleared };
  }
}
