import { STALE_AFTER_MS, type Device, type EnergyReading, type MeterState } from '../contracts/index.ts';
import { LiveTable, type LiveStamp } from '../live/live-table.ts';

/** Meters report every 15 minutes in the field; an hour of silence is a gap worth showing. */
const METER_STALE_MS = 30 * STALE_AFTER_MS;

export class LiveMeters extends LiveTable<Omit<MeterState, keyof LiveStamp>> {
  constructor(now: () => number) {
    super(now, METER_STALE_MS);
  }

  apply(device: Device, r: EnergyReading, receivedMs: number): boolean {
    return this.offer(device.id, r.ts, receivedMs, {
      meterId: device.id, name: device.name, buildingId: device.buildingId, value: r.value, unit: r.unit, powerW: r.powerW ?? null, demo: device.demo,
    });
  }

  byBuilding(buildingId?: string): MeterState[] {
    return this.list(buildingId ? (m) => m.buildingId === buildingId : undefined).sort((a, b) => a.meterId.localeCompare(b.meterId));
  }
}
