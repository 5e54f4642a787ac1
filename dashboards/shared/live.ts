/**
 * Live state of one namespace: initial REST load, Socket.IO `snapshot` and batches.
 * Incoming data is only buffered here; the page applies it on its redraw timer.
 */
import { io, type Socket } from 'socket.io-client';
import { apiGet } from './auth.ts';
import { SESSION_ENDED } from '../../services/contracts/socket-events.ts';

export type LiveStatus = 'signed-out' | 'connecting' | 'live' | 'offline' | 'unauthorized' | 'forbidden';

export interface LiveOptions<T> {
  /** Socket.IO namespace, e.g. `/transit` */
  namespace: string;
  /** REST path answering the full state as an array, e.g. `/api/v1/transit/vehicles` */
  restPath: string;
  /** the batch event name after `snapshot`, e.g. `vehicles` */
  batchEvent: string;
  idOf: (item: T) => string;
  token: string | null;
}

/** batches buffered between two redraws before they are folded into the state anyway */
const MAX_PENDING = 50;

type Pending<T> = { kind: 'full'; items: T[]; source: 'rest' | 'socket' } | { kind: 'batch'; items: T[] };

export class LiveStore<T> {
  readonly items = new Map<string, T>();
  status: LiveStatus;
  private pending: Pending<T>[] = [];
  private socket: Socket | null = null;
  /** a socket snapshot arrived (a REST answer arriving later is older) */
  private gotSnapshot = false;
  private snapshotApplied = false;
  /** data folded in by enqueue() that no draw has seen yet */
  private changedSinceDraw = false;
  private statusListeners = new Set<(s: LiveStatus) => void>();

  constructor(private readonly opts: LiveOptions<T>) {
    this.status = opts.token ? 'connecting' : 'signed-out';
  }

  onStatus(fn: (s: LiveStatus) => void): void {
    this.statusListeners.add(fn);
  }

  private setStatus(s: LiveStatus): void {
    if (this.status === s) return;
    // an auth refusal sticks until the user signs in again
    if ((this.status === 'unauthorized' || this.status === 'forbidden') && s !== 'live') return;
    this.status = s;
    for (const fn of this.statusListeners) fn(s);
  }

  start(): void {
    const token = this.opts.token;
    if (!token) return;
    void this.loadRest(token);
    const socket = io(this.opts.namespace, { auth: { token } });
    this.socket = socket;
    socket.on('connect', () => this.setStatus('live'));
    socket.on('disconnect', () => this.setStatus('offline'));
    socket.on('connect_error', (err: Error & { data?: unknown }) => {
      if (socket.active) {
        // a transport problem: socket.io retries by itself
        this.setStatus('offline');
        return;
      }
      // refused by the server's middleware: no retry
      this.setStatus(isForbidden(err) ? 'forbidden' : 'unauthorized');
    });
    // The hub ended this session (token revoked or expired, user deleted): sign in again, no reconnect.
    socket.on(SESSION_ENDED, () => {
      socket.disconnect();
      this.setStatus('unauthorized');
    });
    socket.on('snapshot', (items: unknown) => {
      if (!Array.isArray(items)) return;
      this.gotSnapshot = true;
      this.enqueue({ kind: 'full', items: items as T[], source: 'socket' });
    });
    socket.on(this.opts.batchEvent, (items: unknown) => {
      if (!Array.isArray(items)) return;
      this.enqueue({ kind: 'batch', items: items as T[] });
    });
  }

  private enqueue(p: Pending<T>): void {
    this.pending.push(p);
    // a hidden tab gets no animation frames: fold the backlog into the state so it cannot grow
    if (this.pending.length > MAX_PENDING) {
      this.flush();
      this.changedSinceDraw = true;
    }
  }

  stop(): void {
    this.socket?.disconnect();
    this.socket = null;
  }

  private async loadRest(token: string): Promise<void> {
    const res = await apiGet<unknown>(this.opts.restPath, token);
    if (res.status === 'ok') {
      // the socket snapshot, when it came first, is newer than this answer
      if (Array.isArray(res.data) && !this.gotSnapshot) this.pending.push({ kind: 'full', items: res.data as T[], source: 'rest' });
    } else if (res.status === 'unauthorized') {
      this.setStatus('unauthorized');
    } else if (res.status === 'forbidden') {
      this.setStatus('forbidden');
    }
    // 404 or a server error: the socket still delivers the state
  }

  /** Applies buffered data; true when anything changed. Call from the redraw timer. */
  flush(): boolean {
    if (this.pending.length === 0) {
      const changed = this.changedSinceDraw;
      this.changedSinceDraw = false;
      return changed;
    }
    this.changedSinceDraw = false;
    const pending = this.pending;
    this.pending = [];
    for (const p of pending) {
      if (p.kind === 'full') {
        if (p.source === 'rest' && this.snapshotApplied) continue;
        if (p.source === 'socket') this.snapshotApplied = true;
        this.items.clear();
      }
      for (const item of p.items) {
        if (item && typeof item === 'object') this.items.set(this.opts.idOf(item), item);
      }
    }
    return true;
  }

  /** true when any item is marked `demo` */
  get isDemo(): boolean {
    for (const item of this.items.values()) {
      if ((item as { demo?: unknown }).demo === true) return true;
    }
    return false;
  }
}

function isForbidden(err: Error & { data?: unknown }): boolean {
  const data = err.data;
  if (data && typeof data === 'object' && 'statusCode' in data && data.statusCode === 403) return true;
  return /forbidden|role|permission|403/i.test(err.message);
}
