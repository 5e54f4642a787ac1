import { DISPATCH_ALERTS_ROOM, namespaces, LIVE_MIN_INTERVAL_MS, type OpsAlert, type Position, type VehicleState } from '../contracts/index.ts';
import type { Domain, DomainContext, DomainModule } from '../platform/domain-module.ts';
import type { HistoryStore } from '../store/history-store.ts';
import type { GtfsFeed } from './gtfs/model.ts';
import { ChangeFeed } from '../live/change-feed.ts';
import { LiveVehicles } from './live-vehicles.ts';
import { REALTIME_MIGRATIONS, createTransitRealtime } from './realtime/index.ts';
import { openGtfs } from './gtfs/startup.ts';
import { gtfsRoutes } from './gtfs-routes.ts';
import { openChannel } from './open/channel.ts';
import { OPEN_RATE_LIMIT, TokenBuckets } from './open/rate-limit.ts';
import { OpenViews } from './open/views.ts';
import { openRoutes } from './open-routes.ts';
import { transitRoutes } from './routes.ts';

const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

/** Public transport: live vehicles, their tracks; what a dispatcher and a stop display read. */
export async function createTransitModule(ctx: DomainContext, feed: () => GtfsFeed | undefined = () => undefined): Promise<DomainModule> {
  const vehicles = new LiveVehicles(ctx.now);
  // Its changes are taken once per tick for the dispatchers' `/transit` and the passengers' `/open`.
  const vehicleChanges = new ChangeFeed((sweep) => vehicles.takeChanges(LIVE_MIN_INTERVAL_MS, sweep), (v) => v.vehicleId);
  const dispatchVehicles = vehicleChanges.reader();
  // The GTFS feed (GTFS_PATH, or the last upload): routes, stops, timetables; swapped on upload.
  const gtfs = openGtfs({ path: ctx.settings.GTFS_PATH, dataDir: ctx.dataDir, now: ctx.now, log: (msg, detail) => ctx.logger.info(detail ?? {}, msg) });
  const gtfsApi = gtfsRoutes({ gtfs: gtfs.holder, requireRole: ctx.auth.requireRole, audit: ctx.audit, now: ctx.now, saveUpload: gtfs.saveUpload, mapTileUrl: ctx.settings.MAP_TILE_URL });
  const current = () => feed() ?? (gtfs.holder.info.source === 'none' ? undefined : gtfs.holder.feed);
  // Trips, predictions, headways, GTFS-Realtime, stop boards (services/transit/realtime).
  // Operations alerts are raised by one instance of a cluster (the lease holder).
  const opsLease = ctx.lease('ops-alerts');
  // Service and operations alerts are in the shared tables (every instance of a cluster reads them).
  const rt = createTransitRealtime({
    feed: current, now: ctx.now, zone: ctx.city.tz, db: ctx.db, tables: ctx.tables, auth: ctx.auth, audit: ctx.audit, isLeaseHolder: () => opsLease.isHolder(),
    onError: (err) => ctx.logger.warn({ err: err.message }, 'transit shared tables'),
  });
  await rt.ready;
  // Passengers (no token): REST under /api/v1/open and the `/open` namespace share the feed's
  // views and one rate-limit budget per address.
  const openViews = new OpenViews(current);
  const openBuckets = new TokenBuckets(OPEN_RATE_LIMIT);
  let lastEngineErrorMs = -Infinity;
  return {
    name: 'transit',
    measurements: [{ name: 'position', tags: ['vehicle'] }],
    onAccepted(message, device, receivedMs) {
      if (message.channel !== 'position') return;
      const p = message.payload;
      if (p.fix === false || !device.vehicleId) return;
      try {
        rt.engine.onPosition(device.vehicleId, device.id, device.routeId, p);
      } catch (err) {
        // The ingest path must not fail for the predictions' sake: the position is still kept.
        if (ctx.now() - lastEngineErrorMs > 60_000) ctx.logger.error({ err, vehicleId: device.vehicleId }, 'realtime engine failed on a position');
        lastEngineErrorMs = ctx.now();
      }
      const t = rt.engine.tripState(device.vehicleId);
      vehicles.apply(device, p, receivedMs, t && { tripId: t.tripId, delayS: t.delayS, progressM: t.progressM, offRoute: t.offRoute, headway: t.headway?.rating ?? null });
    },
    routes: async (app) => {
      await app.register(transitRoutes({ vehicles, store: ctx.store, auth: ctx.auth, now: ctx.now, feed: current, zone: ctx.city.tz, routeOf: (id) => ctx.devices.get(id)?.routeId ?? null }));
      await app.register(rt.routes);
      await app.register(gtfsApi);
      await app.register(openRoutes({ feed: current, engine: rt.engine, vehicles, now: ctx.now, views: openViews, buckets: openBuckets }));
    },
    realtime: [
      {
        namespace: namespaces.transit,
        roles: ['dispatcher', 'display'],
        roomPrefixes: ['route', 'alerts'],
        snapshot: () => vehicles.byRoute(),
        tick: (sweep) => [
          { event: 'vehicles', items: dispatchVehicles(sweep), roomsOf: (v) => roomsOfVehicle(v as VehicleState) },
          // Operations alerts raised, acknowledged or cleared (services/transit/ops); the dispatch desk's room gets them all.
          {
            event: 'opsAlerts', items: sweep ? rt.ops.takeChanges() : [],
            roomsOf: (a) => ((a as OpsAlert).routeId ? [`route:${(a as OpsAlert).routeId}`, DISPATCH_ALERTS_ROOM] : [DISPATCH_ALERTS_ROOM]),
          },
          // Service alerts created, edited or ended by a dispatcher.
          { event: 'serviceAlerts', items: rt.service.takeChanges(), roomsOf: () => [DISPATCH_ALERTS_ROOM] },
        ],
        // The dispatch desk's room is for dispatchers; a display may follow routes only.
        mayJoin: (p, room) => !room.startsWith('alerts:') || (room === DISPATCH_ALERTS_ROOM && (p.roles.includes('admin') || p.roles.includes('dispatcher'))),
      },
      // Stop boards: a room per stop (`stop:{stopId}`), event `arrivals` when a board changes.
      rt.channel,
      // Passengers' page: room per stop, `arrivals` and `alerts`; per route, `vehicles`; no token (services/transit/open/channel.ts).
      openChannel({
        views: openViews, engine: rt.engine, boards: rt.boards, serviceAlerts: rt.serviceAlerts, buckets: openBuckets, now: ctx.now,
        vehiclesOf: (routeId) => vehicles.byRoute(routeId), vehicleChanges: vehicleChanges.reader(),
      }),
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
      if (device.vehicleId) {
        vehicles.delete(device.vehicleId);
        rt.engine.remove(device.vehicleId);
      }
    },
    async start() {
      rt.start();
    },
    async close() {
      rt.close();
    },
    health: () => {
      const g = gtfs.holder.info;
      const feed = g.source === 'none' ? 'no GTFS feed (GTFS_PATH unset)' : `GTFS ${g.routes} routes, ${g.stops} stops, ${g.trips} trips`;
      return { transit: { status: 'ok', detail: `${vehicles.size} vehicles live; ${feed}` } };
    },
  };
}

const roomsOfVehicle = (v: VehicleState): string[] => (v.routeId ? [`route:${v.routeId}`] : []);

export const transitDomain: Domain = { name: 'transit', migrations: REALTIME_MIGRATIONS, create: (ctx) => createTransitModule(ctx) };
