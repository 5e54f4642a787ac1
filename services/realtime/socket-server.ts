import type { Server as HttpServer } from 'node:http';
import { Server, type Namespace } from 'socket.io';
import {
  LIVE_MIN_INTERVAL_MS,
  LIVE_TICK_MS,
  namespaces,
  type ClientToServer,
  type EnergyServerEvents,
  type LightingServerEvents,
  type Role,
  type StopsServerEvents,
  type TransitServerEvents,
} from '../contracts/index.ts';
import type { LiveMeters } from '../energy/live-meters.ts';
import { hasRole } from '../http/auth.ts';
import type { LiveControllers } from '../lighting/live-controllers.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Accounts } from '../registry/accounts.ts';
import type { LiveVehicles } from '../transit/live-vehicles.ts';

export interface RealtimeDeps {
  accounts: Accounts;
  metrics: Metrics;
  vehicles: LiveVehicles;
  controllers: LiveControllers;
  meters: LiveMeters;
}

/** Clients that joined no room get every update; the others get their rooms' only. */
const ALL = 'all';
const ROOM = /^(route|stop|group|building):[^\s]{1,120}$/;

/**
 * Socket.IO on the hub's HTTP server. Every namespace checks the handshake token and the
 * role; updates are coalesced per object (see LIVE_MIN_INTERVAL_MS).
 */
export function startRealtime(http: HttpServer, deps: RealtimeDeps): { io: Server; close(): Promise<void> } {
  // destroyUpgrade: false leaves other WebSocket upgrades (MQTT at /mqtt) to their own handler.
  const io = new Server(http, { serveClient: false, destroyUpgrade: false, cors: { origin: false } });

  function guard(nsp: Namespace, roles: Role[]): void {
    nsp.use((socket, next) => {
      const token = typeof socket.handshake.auth?.token === 'string' ? socket.handshake.auth.token : undefined;
      const principal = token ? deps.accounts.authenticateToken(token) : undefined;
      if (!principal) return next(new Error('unauthorized: a valid token is required in auth.token'));
      if (!hasRole(principal, roles)) return next(new Error(`forbidden: this needs one of the roles ${['admin', ...roles].join(', ')}`));
      next();
    });
    nsp.on('connection', (socket) => {
      const name = nsp.name;
      deps.metrics.socketClients.inc({ namespace: name });
      void socket.join(ALL);
      const s = socket as unknown as { on: <E extends keyof ClientToServer>(e: E, l: ClientToServer[E]) => void };
      s.on('join', (req, ack) => {
        const room = typeof req?.room === 'string' ? req.room : '';
        if (!ROOM.test(room)) return ack?.({ ok: false, error: 'room must look like route:{id}, stop:{id}, group:{id} or building:{id}' });
        void socket.leave(ALL);
        void socket.join(room);
        ack?.({ ok: true });
      });
      s.on('leave', (req) => {
        if (typeof req?.room === 'string') void socket.leave(req.room);
        if (socket.rooms.size <= 1) void socket.join(ALL);
      });
      socket.on('disconnect', () => deps.metrics.socketClients.dec({ namespace: name }));
    });
  }

  const transit: Namespace<ClientToServer, TransitServerEvents> = io.of(namespaces.transit);
  const lighting: Namespace<ClientToServer, LightingServerEvents> = io.of(namespaces.lighting);
  const energy: Namespace<ClientToServer, EnergyServerEvents> = io.of(namespaces.energy);
  const stops: Namespace<ClientToServer, StopsServerEvents> = io.of(namespaces.stops);
  guard(transit as Namespace, ['dispatcher', 'display']);
  guard(lighting as Namespace, ['lighting']);
  guard(energy as Namespace, ['energy']);
  guard(stops as Namespace, ['display', 'dispatcher']);

  transit.on('connection', (socket) => socket.emit('snapshot', deps.vehicles.byRoute()));
  lighting.on('connection', (socket) => socket.emit('snapshot', deps.controllers.byGroup()));
  energy.on('connection', (socket) => socket.emit('snapshot', deps.meters.byBuilding()));

  /**
   * Sends a batch to the namespace-wide listeners and to each room's own listeners. Socket.IO
   * encodes a batch before it looks for sockets, so rooms nobody is in are skipped here.
   */
  function push<T>(nsp: Namespace, event: string, changes: T[], roomOf: (x: T) => string | null): void {
    if (!changes.length) return;
    const rooms = nsp.adapter.rooms;
    if (rooms.has(ALL)) nsp.to(ALL).emit(event, changes);
    const byRoom = new Map<string, T[]>();
    for (const c of changes) {
      const room = roomOf(c);
      if (room && rooms.has(room)) (byRoom.get(room) ?? byRoom.set(room, []).get(room)!).push(c);
    }
    for (const [room, list] of byRoom) nsp.to(room).emit(event, list);
  }

  // Objects going stale is checked once a second: it means a walk over every object.
  let ticks = 0;
  const staleEvery = Math.round(1000 / LIVE_TICK_MS);
  const timer = setInterval(() => {
    const sweep = ++ticks % staleEvery === 0;
    push(transit as Namespace, 'vehicles', deps.vehicles.takeChanges(LIVE_MIN_INTERVAL_MS, sweep), (v) => (v.routeId ? `route:${v.routeId}` : null));
    push(lighting as Namespace, 'controllers', deps.controllers.takeChanges(LIVE_MIN_INTERVAL_MS, sweep), (c) => (c.groupId ? `group:${c.groupId}` : null));
    push(energy as Namespace, 'meters', deps.meters.takeChanges(LIVE_MIN_INTERVAL_MS, sweep), (m) => (m.buildingId ? `building:${m.buildingId}` : null));
  }, LIVE_TICK_MS);
  timer.unref();

  return {
    io,
    close: async () => {
      clearInterval(timer);
      await new Promise<void>((resolve) => io.close(() => resolve()));
    },
  };
}
