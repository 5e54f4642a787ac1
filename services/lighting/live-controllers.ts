import { STALE_AFTER_MS, type ControllerState, type Device, type LightingState } from '../contracts/index.ts';
import { LiveTable, type LiveStamp } from '../live/live-table.ts';

/** Controllers report at least every few minutes; silence past this is "no communication". */
const CONTROLLER_STALE_MS = 10 * STALE_AFTER_MS;

export class LiveControllers extends LiveTable<Omit<ControllerState, keyof LiveStamp>> {
  constructor(now: () => number) {
    super(now, CONTROLLER_STALE_MS);
  }

  apply(device: Device, s: LightingState, receivedMs: number): boolean {
    const faults = [...new Set((s.lamps ?? []).flatMap((l) => l.faults ?? []))].sort();
    return this.offer(device.id, s.ts, receivedMs, {
      controllerId: device.id, name: device.name, groupId: device.groupId, lat: device.lat, lon: device.lon,
      level: s.level, on: s.on, powerW: s.powerW ?? null,
      voltageV: s.voltageV ?? null, energyKWh: s.energyKWh ?? null, faults, demo: device.demo,
    });
  }

  byGroup(groupId?: string): ControllerState[] {
    return this.list(groupId ? (c) => c.groupId === groupId : undefined).sort((a, b) => a.controllerId.localeCompare(b.controllerId));
  }
}
