import type { Server as HttpServer } from 'node:http';
import { Server, type Namespace } from 'socket.io';
import { LIVE_TICK_MS, type ClientToServer } from '../contracts/index.ts';
import { hasRole } from '../http/auth.ts';
import { clientAddress, type TrustProxy } from '../http/client-address.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { AuthPolicy, Principal, RealtimeChannel } from '../platform/domain-module.ts';
import { joinRefusal } from './session-watch.ts';

export interface RealtimeDeps {
  auth: Pick<AuthPolicy, 'authenticate'>;
  metrics: Metrics;
  /** What the domain modules push, one namespace each. */
  channels: readonly RealtimeChannel[];
  /** Which proxies' X-Forwarded-For to believe for an open channel's client address (TRUST_PROXY). */
  trustProxy?: TrustProxy;
}

/** A token's principal, or, on an open channel, the client's address (while it is connected). */
type SocketData = { principal: Principal; address?: undefined } | { principal?: undefined; address: string };

/** Clients that joined no room get every update; the others get their rooms' only. */
const ALL = 'all';
const ROOM_ID = /^[^\s]{1,120}$/;

/**
 * Socket.IO on the hub's HTTP server. Every namespace checks the handshake token and the
 * role; updates are coalesced per object by the domains' live tables (LIVE_MIN_INTERVAL_MS).
 */
export function startRealtime(http: HttpServer, deps: RealtimeDeps): { io: Server; isOpen(namespace: string): boolean; close(): Promise<void> } {
  for (const c of deps.channels) {
    if (c.open && c.roles.length) throw new Error(`realtime channel ${c.namespace}: an open channel takes no roles`);
  }
  // destroyUpgrade: false leaves other WebSocket upgrades (MQTT at /mqtt) to their own handler.
  const io = new Server(http, { serveClient: false, destroyUpgrade: false, cors: { origin: false } });
  const addressOf = clientAddress(deps.trustProxy ?? false);

  /** An open channel's gate: connections at once per address, and the domain's rate limit. */
  function openGate(nsp: Namespace, access: NonNullable<RealtimeChannel['open']>): void {
    const perAddress = new Map<string, number>();
    nsp.use((socket, next) => {
      const address = addressOf(socket.request);
      const now = perAddress.get(address) ?? 0;
      if (now >= access.maxConnectionsPerAddress) return next(new Error(`too many connections from this address (at most ${access.maxConnectionsPerAddress} at once)`));
      const refused = access.admit(address);
      if (refused) return next(new Error(refused));
      perAddress.set(address, now + 1);
      socket.data = { address } satisfies SocketData;
      // Given back once: when the socket leaves, or when its connection closes before it connected.
      let held = true;
      const release = () => {
        if (!held) return;
        held = false;
        const left = (perAddress.get(address) ?? 1) - 1;
        if (left > 0) perAddress.set(address, left);
        else perAddress.delete(address);
      };
      socket.once('disconnect', release);
      socket.conn.once('close', release);
      next();
    });
  }

  function open(channel: RealtimeChannel): Namespace {
    const nsp = io.of(channel.namespace);
    const roomHint = channel.roomPrefixes.map((p) => `${p}:{id}`).join(', ');
    if (channel.open) openGate(nsp, channel.open);
    else nsp.use((socket, next) => {
      const token = typeof socket.handshake.auth?.token === 'string' ? socket.handshake.auth.token : undefined;
      const principal = token ? deps.auth.authenticate(token) : undefined;
      if (!principal) return next(new Error('unauthorized: a valid token is required in auth.token'));
      if (!hasRole(principal, channel.roles)) return next(new Error(`forbidden: this needs one of the roles ${['admin', ...channel.roles].join(', ')}`));
      socket.data = { principal } satisfies SocketData;
      next();
    });
    nsp.on('connection', (socket) => {
      deps.metrics.socketClients.inc({ namespace: channel.namespace });
      const { principal, address } = socket.data as SocketData;
      // A principal bound to some rooms (a display to its stops) hears nothing namespace-wide; nor does anyone on an open channel.
      const roomsOnly = principal ? channel.mustJoin?.(principal) ?? false : true;
      if (!roomsOnly) {
        void socket.join(ALL);
        socket.emit('snapshot', channel.snapshot());
      }
      const s = socket as unknown as { on: <E extends keyof ClientToServer>(e: E, l: ClientToServer[E]) => void };
      s.on('join', (req, ack) => {
        const room = typeof req?.room === 'string' ? req.room : '';
        const colon = room.indexOf(':');
        if (colon < 0 || !channel.roomPrefixes.includes(room.slice(0, colon)) || !ROOM_ID.test(room.slice(colon + 1))) {
          return ack?.({ ok: false, error: `room must look like ${roomHint}` });
        }
        if (principal && channel.mayJoin && !channel.mayJoin(principal, room)) return ack?.({ ok: false, error: `forbidden: this token may not join ${room}` });
        if (address !== undefined && channel.open) {
          if (!channel.open.exists(room)) return ack?.({ ok: false, error: `no such room: ${room}` });
          if (!socket.rooms.has(room)) {
            const refused = channel.open.admit(address);
            if (refused) return ack?.({ ok: false, error: refused });
          }
        }
        const full = joinRefusal(socket, room, channel.open?.maxRooms);
        if (full) return ack?.({ ok: false, error: full });
        void socket.leave(ALL);
        void socket.join(room);
        ack?.({ ok: true });
        for (const batch of channel.joined?.(room) ?? []) if (batch.items.length) socket.emit(batch.event, batch.items);
      });
      s.on('leave', (req) => {
        if (typeof req?.room === 'string') void socket.leave(req.room);
        if (socket.rooms.size <= 1 && !roomsOnly) void socket.join(ALL);
      });
      socket.on('disconnect', () => deps.metrics.socketClients.dec({ namespace: channel.namespace }));
    });
    return nsp;
  }

  const opened = deps.channels.map((channel) => ({ channel, nsp: open(channel) }));

  /**
   * Sends a batch to the namespace-wide listeners and to each room's own listeners. Socket.IO
   * encodes a batch before it looks for sockets, so rooms nobody is in are skipped here. In a
   * cluster every instance holds the whole live state (the peer feed, services/ingest/peer-feed.ts)
   * and pushes it to its own sockets only.
   */
  function push(nsp: Namespace, event: string, items: unknown[], roomsOf: (x: unknown) => readonly string[]): void {
    if (!items.length) return;
    const rooms = nsp.adapter.rooms;
    const listened = (room: string) => rooms.has(room);
    if (listened(ALL)) nsp.to(ALL).emit(event, items);
    const byRoom = new Map<string, unknown[]>();
    for (const item of items) {
      for (const room of roomsOf(item)) if (listened(room)) (byRoom.get(room) ?? byRoom.set(room, []).get(room)!).push(item);
    }
    for (const [room, list] of byRoom) nsp.to(room).emit(event, list);
  }

  // Objects going stale is checked once a second: it means a walk over every object.
  let ticks = 0;
  const staleEvery = Math.round(1000 / LIVE_TICK_MS);
  const timer = setInterval(() => {
    const sweep = ++ticks % staleEvery === 0;
    for (const { channel, nsp } of opened) {
      for (const batch of channel.tick(sweep)) push(nsp, batch.event, batch.items, batch.roomsOf);
    }
  }, LIVE_TICK_MS);
  timer.unref();

  const openNamespaces = new Set(deps.channels.filter((c) => c.open).map((c) => c.namespace));
  return {
    io,
    isOpen: (namespace) => openNamespaces.has(namespace),
    close: async () => {
      clearInterval(timer);
      await new Promise<void>((resolve) => io.close(() => resolve()));
    },
  };
}
