/**
 * A stop's arrivals and alerts, or a route's vehicles, by push from the hub's open `/open`
 * namespace (rooms `stop:{stopId}`, `route:{routeId}`; no token). The Socket.IO client is loaded
 * only when a stop or a route's map is first shown (/mobile/socket.js, ~13 KB gzip, built from
 * socket-client.ts), so the first load stays small. The connection lives while one is shown. The
 * page is told `push` once the hub confirmed the room, `poll` whenever the socket cannot connect,
 * drops or is refused: it then polls REST until the push is back (Socket.IO reconnects by itself
 * after a drop; a refusal is tried again after a while).
 */
import type { Socket } from 'socket.io-client';
import type * as SocketClient from './socket-client.ts';

export type LiveMode = 'push' | 'poll';

export interface LiveHandlers<Board, Alerts> {
  arrivals(board: Board): void;
  alerts(alerts: Alerts): void;
  mode(mode: LiveMode): void;
}

export interface RouteHandlers<Vehicle> {
  vehicles(vehicles: Vehicle[]): void;
  mode(mode: LiveMode): void;
}

/** Imported by URL, not bundled: a separate file fetched on first use. */
const CLIENT_URL = '/mobile/socket.js';

/** What the hub refuses (rate limit, too many connections) is tried again after this. */
const RETRY_REFUSED_MS = 30_000;

type Event = 'arrivals' | 'alerts' | 'vehicles';
/** The one room followed (the view shown) and what to do with its events' items. */
interface Sub { room: string; on: Partial<Record<Event, (items: never[]) => void>>; mode(mode: LiveMode): void }
let current: Sub | undefined;
let client: Promise<Socket> | undefined;
let retry: ReturnType<typeof setTimeout> | undefined;

/** The room an item pushed belongs to. */
const roomOf: Record<Event, (x: { stopId?: string; stop?: { stopId: string }; routeId?: string }) => string> = {
  arrivals: (x) => `stop:${x.stop?.stopId}`,
  alerts: (x) => `stop:${x.stopId}`,
  vehicles: (x) => `route:${x.routeId}`,
};

function join(s: Socket, sub: Sub): void {
  s.emit('join', { room: sub.room }, (r: { ok: boolean }) => {
    if (current === sub) sub.mode(r.ok ? 'push' : 'poll');
  });
}

function socket(): Promise<Socket> {
  client ??= (import(CLIENT_URL) as Promise<typeof SocketClient>).then(({ io }) => {
    const s = io('/open', { autoConnect: false, reconnectionDelayMax: 10_000 });
    s.on('connect', () => {
      if (current) join(s, current);
    });
    s.on('disconnect', () => current?.mode('poll'));
    s.on('connect_error', () => {
      current?.mode('poll');
      // A transport failure is retried by Socket.IO itself; a refusal by the hub is not.
      if (!s.active) {
        clearTimeout(retry);
        retry = setTimeout(() => void (current && !s.connected && s.connect()), RETRY_REFUSED_MS);
      }
    });
    for (const event of ['arrivals', 'alerts', 'vehicles'] as const) {
      s.on(event, (items: Array<{ stopId?: string; stop?: { stopId: string }; routeId?: string }>) => {
        const sub = current;
        const mine = sub?.on[event] && items.filter((item) => roomOf[event](item) === sub.room);
        if (mine?.length) sub!.on[event]!(mine as never[]);
      });
    }
    return s;
  });
  // Not loaded (offline): asked again when a stop is next shown.
  client.catch(() => (client = undefined));
  return client;
}

/** Follows one stop by push (the one shown); returns the function that stops following it. */
export function follow<Board, Alerts>(stopId: string, on: LiveHandlers<Board, Alerts>): () => void {
  return subscribe({
    room: `stop:${stopId}`,
    mode: on.mode,
    on: { arrivals: (boards: Board[]) => boards.forEach((b) => on.arrivals(b)), alerts: (list: Alerts[]) => list.forEach((a) => on.alerts(a)) } as Sub['on'],
  });
}

/** Follows one route's vehicles by push (the route's map shown); returns the function that stops following it. */
export function followRoute<Vehicle>(routeId: string, on: RouteHandlers<Vehicle>): () => void {
  return subscribe({ room: `route:${routeId}`, mode: on.mode, on: { vehicles: on.vehicles } as Sub['on'] });
}

function subscribe(sub: Sub): () => void {
  current = sub;
  socket().then(
    (s) => {
      if (current !== sub) return;
      if (s.connected) join(s, sub);
      else s.connect();
    },
    // The client did not load (offline): polling goes on.
    () => undefined,
  );
  return () => {
    if (current !== sub) return;
    current = undefined;
    void client?.then((s) => {
      // Another stop or route shown at once keeps the connection; none shown, it is closed.
      if (current) s.emit('leave', { room: sub.room });
      else {
        clearTimeout(retry);
        s.disconnect();
      }
    });
  };
}
