import type { Server, Socket } from 'socket.io';
import { SESSION_ENDED, type SessionEnded } from '../contracts/index.ts';

export interface SessionWatchOptions {
  /** Whether a token is still good: a principal, or undefined when revoked, expired or its user gone. */
  authenticate(token: string): unknown;
  /** How often every connected socket's token is checked again. */
  intervalMs?: number;
  /** Namespaces whose sockets carry no token (the passengers' open channel): not watched. */
  untokened?(namespace: string): boolean;
}

export interface SessionWatch {
  /** Checks every connected socket's token now (after a token was revoked or a user deleted); answers how many were ended. */
  recheck(): number;
  close(): void;
}

export const SESSION_CHECK_MS = 5_000;
export const MAX_ROOMS_PER_SOCKET = 50;

const tokenOf = (socket: Socket): string | undefined => {
  const token: unknown = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
  return typeof token === 'string' ? token : undefined;
};

/**
 * Socket.IO checks a token at the handshake only; a connection would then outlive its token. This
 * checks every connected socket's token again every few seconds and whenever `recheck()` is
 * called, and ends the connections whose token is no longer good, telling them why
 * (`session-ended`) first. Every namespace of `io` is watched, those made later too.
 */
export function watchSessions(io: Server, opts: SessionWatchOptions): SessionWatch {
  function recheck(): number {
    // One lookup per distinct token, however many sockets share it.
    const valid = new Map<string, boolean>();
    let ended = 0;
    for (const nsp of io._nsps.values()) {
      if (opts.untokened?.(nsp.name)) continue;
      for (const socket of nsp.sockets.values()) {
        const token = tokenOf(socket);
        let ok = token ? valid.get(token) : false;
        if (ok === undefined && token) {
          ok = opts.authenticate(token) !== undefined;
          valid.set(token, ok);
        }
        if (ok) continue;
        const info: SessionEnded = { reason: 'the token was revoked or has expired, or its user was deleted: sign in again' };
        socket.emit(SESSION_ENDED, info);
        socket.disconnect(true);
        ended++;
      }
    }
    return ended;
  }

  const timer = setInterval(recheck, opts.intervalMs ?? SESSION_CHECK_MS);
  timer.unref();
  return {
    recheck,
    close: () => clearInterval(timer),
  };
}

/**
 * Why a connection may not join `room`, or undefined when it may: one connection is in at most
 * MAX_ROOMS_PER_SOCKET rooms (its own id room aside), so a client cannot make every push fan out
 * over thousands of rooms. Checked in the join handler itself: Socket.IO runs a packet's
 * middleware before the previous packet's handler, so a `leave` just sent would not be seen there.
 */
export function joinRefusal(socket: Pick<Socket, 'id' | 'rooms'>, room: string, max = MAX_ROOMS_PER_SOCKET): string | undefined {
  if (socket.rooms.has(room)) return undefined;
  const joined = socket.rooms.size - (socket.rooms.has(socket.id) ? 1 : 0);
  return joined >= max ? `at most ${max} rooms per connection; leave one first` : undefined;
}
