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
  /** Thresholds and ratings are read from `table` (held in memory, kept current) on each sweep. */
  constructor(private readonly table: FaultTable, private readonly place: Place) {}

  /** A state message came in (cheap: the sweep does the work). */
  observe(device: Device, state: LightingState, receivedMs: number): void {
    this.latest.set(device.id, { state, receivedMs });
  }

  async forget(controllerId: string, nowMs: number): Promise<void> {
    this.latest.delete(controllerId);
    await this.table.reconcile(controllerId, [], nowMs);
  }

  async sweep(cabinets: readonly Device[], desiredOf: (id: string) => number | undefined, nowMs: number): Promise<{ raised: number; cleared: number }> {
    const sunUp = sunIsUp(nowMs, this.place);
    const settings = this.table.settings();
    let raised = 0;
    let cleared = 0;
    for (const d of cabinets) {
      const seen = this.latest.get(d.id);
      const ratedW = this.table.ratingOf(d.id);
      const desiredLevel = desiredOf(d.id);
      const findings = findFaults({
        ...(seen ? { state: seen.state, receivedMs: seen.receivedMs } : {}),
        ...(ratedW !== undefined ? { ratedW } : {}),
        ...(desiredLevel !== undefined ? { desiredLevel } : {}),
      }, settings, nowMs, sunUp);
      const r = await this.table.reconcile(d.id, findings, nowMs);
      raised += r.raised;
      cleared += r.cleared;
    }
    return { raised, cleared };
  }
}
