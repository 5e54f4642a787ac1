import { namespaces, LIVE_MIN_INTERVAL_MS, type Position, type VehicleState } from '../contracts/index.ts';
import type { Domain, DomainContext, DomainModule } from '../platform/domain-module.ts';
import type { HistoryStore } from '../store/history-store.ts';
import { LiveVehicles } from './live-vehicles.ts';
import { transitRoutes } from './routes.ts';

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** Public transport: live vehicles, their tracks; what a dispatcher and a stop display read. */
export function createTransitModule(ctx: DomainContext): DomainModule {
  const vehicles = new LiveVehicles(ctx.now);
  return {
    name: 'transit',
    measurements: [{ name: 'position', tags: ['vehicle'] }],
    onAccepted(message, device, receivedMs) {
      if (message.channel === 'position') vehicles.apply(device, message.payload, receivedMs);
    },
    routes: transitRoutes({ vehicles, store: ctx.store, auth: ctx.auth, now: ctx.now }),
    realtime: [
      {
        namespace: namespaces.transit,
        roles: ['dispatcher', 'display'],
        roomPrefixes: ['route'],
        snapshot: () => vehicles.byRoute(),
        tick: (sweep) => [{ event: 'vehicles', items: vehicles.takeChanges(LIVE_MIN_INTERVAL_MS, sweep), roomsOf: (v) => roomsOfVehicle(v as VehicleState) }],
      },
      // Stop boards: a room per stop (`stop:{stopId}`); the arrivals they get come with predictions.
      { namespace: namespaces.stops, roles: ['display', 'dispatcher'], roomPrefixes: ['stop'], snapshot: () => [], tick: () => [] },
    ],
    async seed(store: HistoryStore) {
      // The last stored position of each device: a restarted hub shows where vehicles were
      // (stale until they report again) instead of an empty map.
      for (const p of await store.latest('position')) {
        const device = ctx.devices.get(p.tags.device ?? '');
        if (!device || p.fields.fix === false) continue;
        const lat = num(p.fields.lat);
        const lon = num(p.fields.lon);
        if (lat === undefined || lon === undefined) continue;
        const position: Position = { ts: p.ts, lat, lon, speedKmh: num(p.fields.speedKmh), courseDeg: num(p.fields.courseDeg) } as Position;
        vehicles.apply(device, position, p.ts);
      }
    },
    onDeviceRemoved(device) {
      if (device.vehicleId) vehicles.delete(device.vehicleId);
    },
    health: () => ({ transit: { status: 'ok', detail: `${vehicles.size} vehicles live` } }),
  };
}

const roomsOfVehicle = (v: VehicleState): string[] => (v.routeId ? [`route:${v.routeId}`] : []);

export const transitDomain: Domain = { name: 'transit', create: createTransitModule };
