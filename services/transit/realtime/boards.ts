/**
 * Stop boards, as REST answers them and the `/stops` and `/open` namespaces push them: built from
 * the engine's arrivals, sent again when they change, and at least when a minute count changes.
 */
import type { StopBoard } from '../../contracts/index.ts';
import type { Principal, RealtimeChannel } from '../../platform/domain-module.ts';
import type { RealtimeEngine } from './engine.ts';

export function buildBoard(engine: RealtimeEngine, stopId: string, nowMs: number): StopBoard {
  return {
    stopId,
    generatedAt: new Date(nowMs).toISOString(),
    arrivals: engine.arrivalsAt(stopId, nowMs).map((a) => ({
      routeId: a.routeId, routeShortName: a.routeShortName, headsign: a.headsign, tripId: a.tripId, vehicleId: a.vehicleId,
      arrivalTime: new Date(a.arrivalMs).toISOString(), minutes: Math.max(0, Math.floor((a.arrivalMs - nowMs) / 60_000)), realtime: a.realtime,
    })),
  };
}

/** What a board says, without when it was said: two boards with one signature need not be sent twice. */
const signature = (b: StopBoard): string => JSON.stringify(b.arrivals);

/** The instant the board's minute counts next change (or an arrival drops off it). */
function nextChangeMs(b: StopBoard, nowMs: number): number {
  let next = nowMs + 60_000;
  for (const a of b.arrivals) {
    const t = Date.parse(a.arrivalTime);
    // `minutes` is floor((t − now) / 60 s): it drops at t − k·60 s.
    const left = t - nowMs;
    const k = Math.floor(left / 60_000);
    const at = left > 0 ? t - k * 60_000 + 1 : t + 30_001;
    if (at > nowMs && at < next) next = at;
  }
  return next;
}

export class BoardPublisher {
  private readonly sent = new Map<string, { sig: string; refreshAtMs: number }>();
  /** each reader's boards not yet taken, by stop (the latest wins) */
  private readonly outboxes: Map<string, StopBoard>[] = [];
  private generation = 0;

  constructor(private readonly engine: RealtimeEngine, private readonly now: () => number) {}

  /**
   * One more taker of the changed boards (one per namespace): each reader gets every change once.
   * The engine's changes are taken once, by whichever reader asks first after every reader it
   * already served has seen the last batch; a reader that does not ask holds one board per stop.
   */
  reader(): () => StopBoard[] {
    const box = new Map<string, StopBoard>();
    this.outboxes.push(box);
    let seen = this.generation;
    return () => {
      if (seen === this.generation) {
        const boards = this.collect();
        this.generation++;
        for (const b of this.outboxes) for (const board of boards) b.set(board.stopId, board);
      }
      seen = this.generation;
      const out = [...box.values()];
      box.clear();
      return out;
    };
  }

  /**
   * Keeps a stop's board going out (at each change and minute) even while no vehicle marks it:
   * a passenger watching a stop served by the timetable alone. Its board goes out at the next
   * collect; it is dropped again when the board empties.
   */
  watch(stopId: string): void {
    if (!this.sent.has(stopId)) this.sent.set(stopId, { sig: '', refreshAtMs: 0 });
  }

  /** The boards that changed since they were last sent: stops the engine marked, and those whose minutes moved on. */
  collect(): StopBoard[] {
    const now = this.now();
    this.engine.sweep(now);
    const stops = new Set(this.engine.takeDirtyStops());
    for (const [stopId, s] of this.sent) if (s.refreshAtMs <= now) stops.add(stopId);
    const out: StopBoard[] = [];
    for (const stopId of stops) {
      const board = buildBoard(this.engine, stopId, now);
      const sig = signature(board);
      const before = this.sent.get(stopId);
      if (board.arrivals.length === 0 && !before) continue;
      if (board.arrivals.length === 0) this.sent.delete(stopId);
      else this.sent.set(stopId, { sig, refreshAtMs: nextChangeMs(board, now) });
      if (before?.sig !== sig) out.push(board);
    }
    return out;
  }
}

/** The `/stops` namespace: room `stop:{stopId}`, event `arrivals` with the changed boards. */
export function stopsChannel(publisher: BoardPublisher, mayReadStop?: (principal: Principal, stopId: string) => boolean): RealtimeChannel {
  const changed = publisher.reader();
  return {
    // A display joins its own stops only, and hears nothing until it joins; dispatchers hear every board.
    ...(mayReadStop ? {
      mayJoin: (p: Principal, room: string) => mayReadStop(p, room.slice(room.indexOf(':') + 1)),
      mustJoin: (p: Principal) => !p.roles.includes('admin') && !p.roles.includes('dispatcher'),
    } : {}),
    namespace: '/stops',
    roles: ['display', 'dispatcher'],
    roomPrefixes: ['stop'],
    snapshot: () => [],
    tick: (sweep) => (sweep ? [{ event: 'arrivals', items: changed(), roomsOf: (b) => [`stop:${(b as StopBoard).stopId}`] }] : []),
  };
}
