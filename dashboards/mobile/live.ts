/**
 * A stop's arrivals and alerts by push, from the hub's open `/open` namespace (room
 * `stop:{stopId}`, no token). The Socket.IO client is loaded only when a stop is first shown
 * (/mobile/socket.js, ~13 KB gzip, built from socket-client.ts), so the first load stays small. The connection lives while a stop
 * is shown. The page is told `push` once the hub confirmed the room, `poll` whenever the socket
 * cannot connect, drops or is refused: it then polls REST until the push is back (Socket.IO
 * reconnects by itself after a drop; a refusal is tried again after a while).
 */
import type { Socket } from 'socket.io-client';
import type * as SocketClient from './socket-client.ts';

export type LiveMode = 'push' | 'poll';

export interface LiveHandlers<Board, Alerts> {
  arrivals(board: Board): void;
  alerts(alerts: Alerts): void;
  mode(mode: LiveMode): void;
}

/** Imported by URL, not bundled: a separate file fetched on first use. */
const CLIENT_URL = '/mobile/socket.js';

/** What the hub refuses (rate limit, too many connections) is tried again after this. */
const RETRY_REFUSED_MS = 30_000;

interface Sub { stopId: string; on: LiveHandlers<never, never> }
let current: Sub | undefined;
let client: Promise<Socket> | undefined;
let retry: ReturnType<typeof setTimeout> | undefined;

const room = (stopId: string) => `stop:${stopId}`;

function join(s: Socket, sub: Sub): void {
  s.emit('join', { room: room(sub.stopId) }, (r: { ok: boolean }) => {
    if (current === sub) sub.on.mode(r.ok ? 'push' : 'poll');
  });
}

function socket(): Promise<Socket> {
  client ??= (import(CLIENT_URL) as Promise<typeof SocketClient>).then(({ io }) => {
    const s = io('/open', { autoConnect: false, reconnectionDelayMax: 10_000 });
    s.on('connect', () => {
      if (current) join(s, current);
    });
    s.on('disconnect', () => current?.on.mode('poll'));
    s.on('connect_error', () => {
      current?.on.mode('poll');
      // A transport failure is retried by Socket.IO itself; a refusal by the hub is not.
      if (!s.active) {
        clearTimeout(retry);
        retry = setTimeout(() => void (current && !s.connected && s.connect()), RETRY_REFUSED_MS);
      }
    });
    for (const event of ['arrivals', 'alerts'] as const) {
      s.on(event, (items: Array<{ stopId?: string; stop?: { stopId: string } }>) => {
        for (const item of items) if (current && (item.stopId ?? item.stop?.stopId) === current.stopId) current.on[event](item as never);
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
  const sub: Sub = { stopId, on: on as LiveHandlers<never, never> };
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
      // Another stop shown at once keeps the connection; none shown, it is closed.
      if (current) s.emit('leave', { room: room(stopId) });
      else {
        clearTimeout(retry);
        s.disconnect();
      }
    });
  };
}
