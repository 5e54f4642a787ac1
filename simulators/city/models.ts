/**
 * Turns device registrations into their simulation models. Everything a model needs beyond the
 * registration (lamp count, building size, …) is derived from the device id and the seed, so the
 * registration body stays a plain `DeviceCreate` and a restart rebuilds the same models.
 */
import type { DeviceCreate, PositionPayload } from '../../services/contracts/index.ts';
import type { GtfsFeed } from '../../services/transit/gtfs/model.ts';
import { EnergyMeterModel, meterSpecFor } from './energy-model.ts';
import { controllerSpecFor, LightingControllerModel } from './lighting-model.ts';
import { hashString } from './random.ts';
import { DEMO_ROUTES, routeById, type Route } from './routes.ts';
import { FeedIndex, TimetableVehicleModel } from './timetable-model.ts';
import { VehicleModel, type VehicleSample } from './vehicle-model.ts';

/** What a simulated vehicle gives: a sample and the position payload at an instant. */
export interface SimulatedVehicle {
  sample(ms: number): VehicleSample;
  position(ms: number): PositionPayload;
}

export type DeviceModel =
  | { kind: 'tracker'; device: DeviceCreate; model: SimulatedVehicle }
  | { kind: 'lighting-controller'; device: DeviceCreate; model: LightingControllerModel }
  | { kind: 'energy-meter'; device: DeviceCreate; model: EnergyMeterModel };

export interface CityModelOptions {
  seed?: number;
  /** simulate lighting faults (default true) */
  faults?: boolean;
  /** routes to drive; default the demo routes */
  routes?: readonly Route[];
  /**
   * A GTFS feed whose blocks the trackers run: the trackers of a route take its blocks in
   * order; more trackers than blocks stand as spares at the route's first stop. A tracker whose
   * route the feed does not have drives back and forth (VehicleModel), as without a feed.
   */
  gtfs?: GtfsFeed | FeedIndex;
}

const indexes = new WeakMap<GtfsFeed, FeedIndex>();
/** The feed prepared for the vehicles, once per feed. */
export function feedIndex(feed: GtfsFeed | FeedIndex): FeedIndex {
  if (feed instanceof FeedIndex) return feed;
  let index = indexes.get(feed);
  if (!index) indexes.set(feed, (index = new FeedIndex(feed)));
  return index;
}

/**
 * One model per device, in the devices' order. Trackers of a route are spaced evenly along it in
 * the order they are listed; a tracker with an unknown route drives a route picked by its id.
 */
export function buildCityModels(devices: readonly DeviceCreate[], opts: CityModelOptions = {}): Map<string, DeviceModel> {
  const seed = opts.seed ?? 1;
  const routes = opts.routes ?? DEMO_ROUTES;
  const find = (id: string | undefined) => (opts.routes ? routes.find((r) => r.id === id) : id ? routeById(id) : undefined);
  const routeOf = (d: DeviceCreate): Route => find(d.routeId) ?? routes[hashString(d.id) % routes.length]!;
  const byRoute = new Map<string, DeviceCreate[]>();
  for (const d of devices) {
    if (d.kind !== 'tracker') continue;
    const r = routeOf(d);
    byRoute.set(r.id, [...(byRoute.get(r.id) ?? []), d]);
  }
  const index = opts.gtfs ? feedIndex(opts.gtfs) : undefined;
  const out = new Map<string, DeviceModel>();
  for (const d of devices) {
    switch (d.kind) {
      case 'tracker': {
        const route = routeOf(d);
        const mates = byRoute.get(route.id)!;
        const blocks = index?.blocksOfRoute.get(route.id);
        if (index && blocks?.length) {
          const blockId = blocks[mates.indexOf(d)] ?? null;
          const parkAt = index.blocks.get(blocks[0]!)![0]!.stops[0]!.stopId;
          out.set(d.id, { kind: 'tracker', device: d, model: new TimetableVehicleModel({ index, blockId, parkAt, key: d.id, seed }) });
        } else {
          out.set(d.id, { kind: 'tracker', device: d, model: new VehicleModel({ route, key: d.id, index: mates.indexOf(d), count: mates.length, seed }) });
        }
        break;
      }
      case 'lighting-controller':
        out.set(d.id, { kind: 'lighting-controller', device: d, model: new LightingControllerModel(controllerSpecFor(d, seed, opts.faults ?? true)) });
        break;
      case 'energy-meter':
        out.set(d.id, { kind: 'energy-meter', device: d, model: new EnergyMeterModel(meterSpecFor(d, seed)) });
        break;
    }
  }
  return out;
}
