import { STALE_AFTER_MS, type Device, type Position, type VehicleState } from '../contracts/index.ts';
import { LiveTable, type LiveStamp } from '../live/live-table.ts';

export type VehicleTripFields = Pick<VehicleState, 'tripId' | 'delayS' | 'progressM' | 'offRoute' | 'headway'>;

/** Where every vehicle is now. A record without a GPS fix never moves a vehicle. */
export class LiveVehicles extends LiveTable<Omit<VehicleState, keyof LiveStamp>> {
  constructor(now: () => number) {
    super(now, STALE_AFTER_MS);
  }

  /** `trip`: what the realtime engine made of the position (trip, delay, progress, off-route, headway). */
  apply(device: Device, p: Position, receivedMs: number, trip?: VehicleTripFields): boolean {
    if (p.fix === false || !device.vehicleId) return false;
    return this.offer(device.vehicleId, p.ts, receivedMs, {
      vehicleId: device.vehicleId, deviceId: device.id, routeId: device.routeId, lat: p.lat, lon: p.lon,
      speedKmh: p.speedKmh ?? null, courseDeg: p.courseDeg ?? null, demo: device.demo, ...trip,
    });
  }

  byRoute(routeId?: string): VehicleState[] {
    return this.list(routeId ? (v) => v.routeId === routeId : undefined).sort((a, b) => a.vehicleId.localeCompare(b.vehicleId));
  }
}
