/**
 * The realtime half of transit, put together: the engine, its learned travel times in the
 * registry database, the REST and GTFS-Realtime routes, and the `/stops` channel. The transit
 * module hands it the feed getter and the hub's ports, and feeds it every accepted position.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { GtfsFeed } from '../gtfs/model.ts';
import type { AuditSink, AuthPolicy, Principal, RealtimeChannel } from '../../platform/domain-module.ts';
import type { Db } from '../../registry/database.ts';
import { sqliteRegistry } from '../../registry/sqlite-registry.ts';
import type { DomainTables } from '../../platform/domain-tables.ts';
import { gtfsRtRoutes } from '../gtfs-rt-routes.ts';
import { opsRoutes } from '../ops-routes.ts';
import { OpsAlerts } from '../ops/ops-alerts.ts';
import { ServiceAlerts } from '../ops/service-alerts.ts';
import { serviceAlertRoutes } from '../service-alert-routes.ts';
import { realtimeRoutes } from '../realtime-routes.ts';
import { BoardPublisher, stopsChannel } from './boards.ts';
import { RealtimeEngine } from './engine.ts';
import type { ServiceAlertInput } from './gtfs-rt.ts';
import { DisplayStops, sqliteTravelTimes } from './sqlite-repos.ts';
import { TravelTimes } from './travel-times.ts';

export { REALTIME_MIGRATIONS } from './migrations.ts';

export interface TransitRealtimeDeps {
  feed: () => GtfsFeed | undefined;
  now: () => number;
  zone: string;
  /** this instance's SQLite file, with REALTIME_MIGRATIONS applied: learned travel times */
  db: Db;
  /** the shared tables (display stops, service and operations alerts); default: `db` itself */
  tables?: DomainTables;
  onError?: (err: Error) => void;
  auth: AuthPolicy;
  audit?: AuditSink;
  serviceAlerts?: () => readonly ServiceAlertInput[];
  /** how often learned travel times are written (default 30 s) */
  flushEveryMs?: number;
  /** how often operations alerts are evaluated (default 5 s) */
  opsEveryMs?: number;
  /** whether this instance does the run-once work (operations alerts are kept by one instance); default always */
  isLeaseHolder?: () => boolean;
}

export interface TransitRealtime {
  engine: RealtimeEngine;
  routes: FastifyPluginAsync;
  channel: RealtimeChannel;
  /** the stop boards as they change: `/stops` reads them, and so does the passengers' `/open` */
  boards: BoardPublisher;
  /** the service alerts `/gtfs-rt/alerts` publishes (not yet ended) */
  serviceAlerts(): readonly ServiceAlertInput[];
  /** operations alerts: evaluated every few seconds once started; their changes for the `/transit` push */
  ops: OpsAlerts;
  /** dispatchers' service alerts; their changes for the `/transit` push */
  service: ServiceAlerts;
  /**
   * Whether a principal may read a stop's board: admins and dispatchers every stop, a display its
   * own (REST checks this; so does the `/stops` namespace when a display joins `stop:{id}`).
   */
  mayReadStop(principal: Principal, stopId: string): boolean;
  /** Resolves once the service alerts are in memory (they are read on every tick). */
  ready: Promise<void>;
  start(): void;
  close(): void;
}

export function createTransitRealtime(deps: TransitRealtimeDeps): TransitRealtime {
  const travel = new TravelTimes(sqliteTravelTimes(deps.db, deps.now));
  const engine = new RealtimeEngine(deps.feed, deps.now, deps.zone, travel);
  const publisher = new BoardPublisher(engine, deps.now);
  // Display stops and service and operations alerts are in the shared tables (docs/scale-out.md §5).
  const tables = deps.tables ?? sqliteRegistry(deps.db);
  const onError = deps.onError ?? (() => {});
  const displays = new DisplayStops(tables, onError);
  // Dispatchers' service alerts, and any the caller adds (tests), feed /gtfs-rt/alerts.
  const service = new ServiceAlerts(tables, deps.now, onError);
  const ready = Promise.all([service.load(), displays.load()]).then(() => {});
  const serviceAlerts = () => [...service.inputs(deps.now()), ...(deps.serviceAlerts?.() ?? [])];
  const ops = new OpsAlerts(tables, { states: () => engine.tripStates(), unserved: (nowMs) => engine.unservedTrips(nowMs) }, undefined, onError);
  ops.follow();
  let timer: NodeJS.Timeout | undefined;
  let opsTimer: NodeJS.Timeout | undefined;
  const routes: FastifyPluginAsync = async (app) => {
    await app.register(realtimeRoutes({ engine, auth: deps.auth, displays, now: deps.now, ...(deps.audit ? { audit: deps.audit } : {}) }));
    await app.register(opsRoutes({ ops, auth: deps.auth, now: deps.now, ...(deps.audit ? { audit: deps.audit } : {}) }));
    await app.register(serviceAlertRoutes({ alerts: service, feed: deps.feed, auth: deps.auth, now: deps.now, ...(deps.audit ? { audit: deps.audit } : {}) }));
    await app.register(gtfsRtRoutes({ engine, now: deps.now, serviceAlerts }));
  };
  const mayReadStop = (p: Principal, stopId: string): boolean => p.roles.includes('admin') || p.roles.includes('dispatcher') || displays.may(p.name, stopId);
  return {
    engine,
    routes,
    channel: stopsChannel(publisher, mayReadStop),
    boards: publisher,
    serviceAlerts,
    mayReadStop,
    ops,
    service,
    ready,
    start() {
      timer = setInterval(() => travel.flush(), deps.flushEveryMs ?? 30_000);
      timer.unref();
      opsTimer = setInterval(() => {
        if (deps.isLeaseHolder?.() ?? true) ops.evaluate(deps.now()).catch(onError);
      }, deps.opsEveryMs ?? 5_000);
      opsTimer.unref();
    },
    close() {
      if (timer) clearInterval(timer);
      if (opsTimer) clearInterval(opsTimer);
      service.close();
      displays.close();
      ops.close();
      travel.flush();
    },
  };
}
