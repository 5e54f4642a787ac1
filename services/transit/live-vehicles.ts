import { STALE_AFTER_MS, toIsoUtc, type Device, type Position, type VehicleState } from '../contracts/index.ts';
import { LiveTable } from '../live/live-table.ts';

/** Where every vehicle is now. A record without a GPS fix never moves a vehicle. */
export class LiveVehicles extends LiveTable<Omit<VehicleState, 'stale'>> {
  constructor(now: () => number) {
    super(now, STALE_AFTER_MS);
  }

  apply(device: Device, p: Position, receivedMs: number): boolean {
    if (p.fix === false || !device.vehicleId) return false;
    return this.offer(device.vehicleId, p.ts, receivedMs, {
      vehicleId: device.vehicleId, deviceId: device.id, routeId: device.routeId, lat: p.lat, lon: p.lon,
      speedKmh: p.speedKmh ?? null, courseDeg: p.courseDeg ?? null, ts: toIsoUtc(p.ts), receivedAt: toIsoUtc(receivedMs), demo: device.demo,
    });
  }

  byRoute(routeId?: string): VehicleState[] {
    return this.list(routeId ? (v) => v.routeId === routeId : undefined).sort((a, b) => a.vehicleId.localeCompare(b.vehicleId));
  }
}
