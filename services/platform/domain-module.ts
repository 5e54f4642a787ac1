/**
 * The seam every domain (transit, lighting, energy) plugs into. A domain is a `Domain`: its
 * migrations and a factory `create(ctx: DomainContext) => DomainModule`. The hub gives it narrow ports (auth policy, store,
 * registry reader, clock, publish, ingest) and takes back what it contributes (listeners,
 * routes, a Socket.IO namespace, health, migrations, history measurements). The infrastructure
 * (http, realtime, ingest, store, spool, broker) knows this interface and never a domain.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Settings } from '../config/settings.ts';
import type { ComponentStatus, Device, DeviceMessage, Role } from '../contracts/index.ts';
import type { Principal } from '../registry/accounts.ts';
import type { Db } from '../registry/database.ts';
import type { DomainTables } from './domain-tables.ts';
import type { HistoryStore } from '../store/history-store.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Ingest } from '../ingest/ingest.ts';
import type { Lease } from './lease.ts';

export type { Lease, Principal };

/** How REST routes and sockets check a caller. */
export interface AuthPolicy {
  /** The principal of a bearer token, or undefined when it is unknown, revoked or expired. */
  authenticate(token: string): Principal | undefined;
  /** A fastify preHandler letting through a valid bearer token with one of the roles (admin always). */
  requireRole(...roles: Role[]): (req: FastifyRequest, reply: FastifyReply) => Promise<void>;
}

/** Read access to the device registry. */
export interface DeviceReader {
  get(id: string): Device | undefined;
  list(filter?: { kind?: Device['kind'] }): Device[];
}

/** Who changed what, for the audit log. */
export interface AuditSink {
  record(actor: string, action: string, target?: string | null, detail?: unknown): void;
}

/**
 * A registry migration of one domain: applied once, in order, named `{domain}:{n}`. `sql` (SQLite)
 * is always applied to the instance's own file (`db`). `postgres` is the same migration's shared
 * tables in PostgreSQL's words: with DATABASE_URL it is applied to the shared database
 * (`tables`); without, `tables` is the SQLite file, where `sql` already made them.
 */
export interface Migration {
  /** unique across the hub, e.g. `lighting:1`; never edit a released one (adding its `postgres` form is fine) */
  id: string;
  sql: string;
  /** the tables of this migration that live in `DomainContext.tables`, for PostgreSQL */
  postgres?: string;
}

/** A measurement a domain keeps in the history store. */
export interface MeasurementSpec {
  name: string;
  /** tags besides `device` that identify the series (indexed in the embedded store) */
  tags: readonly string[];
}

/**
 * What makes a channel open to anyone (no token): the passengers' `/open`. Such a channel is
 * read-only and rooms-only (no `snapshot`, nothing namespace-wide), and bounded per client
 * address (TRUST_PROXY decides which address). The server keeps an address only while it has a
 * connection (to count them); the rate limit is the domain's, in `admit`.
 */
export interface OpenAccess {
  /** rooms one connection may be in at once */
  maxRooms: number;
  /** connections at once from one client address */
  maxConnectionsPerAddress: number;
  /** Spends one request of the address (a connection, a join): undefined when it may, else why not. */
  admit(address: string): string | undefined;
  /** Whether a room (already checked against `roomPrefixes`) exists, e.g. the stop is in the feed. */
  exists(room: string): boolean;
}

/**
 * A namespace on the Socket.IO server. The server checks the token and role (unless `open`),
 * counts clients, handles `join`/`leave` of rooms (`prefix:{id}`) and ends sockets whose token lapsed.
 */
export interface RealtimeChannel {
  /** e.g. `/transit` */
  namespace: string;
  /** who may connect (admin always); empty for an `open` channel */
  roles: Role[];
  /** Set: anyone may connect, with no token, under these bounds. */
  open?: OpenAccess;
  /** room prefixes a socket may join, e.g. ['route', 'stop'] */
  roomPrefixes: readonly string[];
  /** sent as `snapshot` on connect */
  snapshot(): unknown;
  /**
   * Called every LIVE_TICK_MS; returns batches to push: each item goes to the namespace-wide
   * listeners and to the rooms `roomsOf(item)` names. `sweep` is true about once a second.
   */
  tick(sweep: boolean): { event: string; items: unknown[]; roomsOf(item: unknown): readonly string[] }[];
  /**
   * Whether a principal may join a room (already checked against `roomPrefixes`): a `display`
   * token reads its own stops only. Absent: every room of the prefixes. Checked at each `join`.
   */
  mayJoin?(principal: Principal, room: string): boolean;
  /**
   * True for a principal that may not listen namespace-wide: it gets no `snapshot` and no
   * namespace-wide pushes, only what goes to the rooms it was allowed to join. Absent: false.
   */
  mustJoin?(principal: Principal): boolean;
  /** What a socket that just joined `room` is sent at once (the room's current state). */
  joined?(room: string): { event: string; items: unknown[] }[];
}

/** What the hub hands a domain. */
export interface DomainContext {
  logger: Logger;
  metrics: Metrics;
  now: () => number;
  auth: AuthPolicy;
  store: HistoryStore;
  devices: DeviceReader;
  audit: AuditSink;
  /**
   * This instance's SQLite file, for the tables it keeps to itself: those every instance derives
   * from the peer feed (rollups, weather, travel times, command acks). Created by `migrations`' `sql`.
   */
  db: Db;
  /**
   * The domain's shared tables (operator- and job-made state): PostgreSQL with DATABASE_URL, shared
   * by every instance, else the same SQLite file. Async, `$1` parameters; see platform/domain-tables.ts.
   */
  tables: DomainTables;
  /** Device messages produced inside the hub (OPC UA cabinets) go in through the same path as MQTT. */
  ingest: Ingest;
  /** Publishes a message to devices through the broker (commands), QoS 1. */
  publish(topic: string, payload: string | Buffer): Promise<void>;
  dataDir: string;
  /** The city's time zone and place (CITY_TZ, CITY_LAT, CITY_LON). */
  city: { tz: string; lat: number; lon: number };
  /**
   * The lease of work that must run once across the cluster (a scheduler, a detector, a report
   * job), named within the domain: run it only while `isHolder()`. Alone, this instance always
   * holds it; with REDIS_URL one instance does, and another takes over when it dies.
   */
  lease(name: string): Lease;
  /** The hub's settings, for a domain's own (transit: GTFS_PATH, MAP_TILE_URL). */
  settings: Readonly<Settings>;
}

/** What a domain hands the hub once it is running. Every part is optional. */
export interface DomainModule {
  name: string;
  measurements?: readonly MeasurementSpec[];
  /**
   * Runs for every accepted message before it is acknowledged and before the spool's fsync:
   * live views. Must be quick and must not throw for a message it does not care about.
   */
  onAccepted?(message: DeviceMessage, device: Device, receivedMs: number): void;
  /**
   * Events that are not telemetry (a command acknowledgement): kept durably (a registry
   * transaction) before the device is acknowledged. Returns true when it kept it, false when the
   * event is not its kind, or a promise when it is its kind and kept once the promise resolves
   * (a group commit of many events in one transaction); the device is acknowledged only then,
   * and not at all when it rejects. `from` is `'peer'` when another instance received (and kept)
   * it and this one replays it (the peer feed): a domain keeping it in a shared table has nothing
   * to write then; one keeping it in the instance's own file keeps it again.
   */
  keepEvent?(message: DeviceMessage, device: Device, receivedMs: number, from: 'device' | 'peer'): boolean | Promise<void>;
  /** Fastify routes, registered on the hub's app. */
  routes?: FastifyPluginAsync;
  realtime?: readonly RealtimeChannel[];
  /** Health components, by name. */
  health?(): Record<string, ComponentStatus>;
  /** Seeds live state from the history store at start, so a restart does not show an empty map. */
  seed?(store: HistoryStore): Promise<void>;
  /** A device was deleted (or disabled): drop its live state. */
  onDeviceRemoved?(device: Device): void;
  /** Starts timers, connections (after the hub is listening). */
  start?(): Promise<void>;
  close?(): Promise<void>;
}

/**
 * A domain as the hub's composition root lists it: its registry migrations, applied before
 * `create` runs (so it may prepare statements on its tables), and the factory of its module.
 */
export interface Domain {
  name: string;
  migrations?: readonly Migration[];
  create(ctx: DomainContext): DomainModule | Promise<DomainModule>;
}
