/** Drives simulated vehicles along the fixture line for engine tests. */
import type { RealtimeEngine } from '../../../services/transit/realtime/engine.ts';
import { at } from './feed-fixture.ts';

export class Clock {
  constructor(public ms: number) {}
  now = (): number => this.ms;
}

export interface Leg {
  /** metres east where the leg ends */
  toM: number;
  /** seconds the leg takes */
  seconds: number;
}

/**
 * Sends a position every `everyS` seconds while the vehicle moves (or stands) through `legs`,
 * starting at `fromM` east, heading east when toM > fromM. The clock moves with it.
 */
export function drive(engine: RealtimeEngine, clock: Clock, vehicleId: string, fromM: number, legs: Leg[], opts: { everyS?: number; routeId?: string | null; northM?: number } = {}): number {
  const every = (opts.everyS ?? 10) * 1000;
  let pos = fromM;
  for (const leg of legs) {
    const start = pos;
    const steps = Math.max(1, Math.round((leg.seconds * 1000) / every));
    for (let k = 1; k <= steps; k++) {
      clock.ms += leg.seconds * 1000 / steps;
      pos = start + ((leg.toM - start) * k) / steps;
      const moving = leg.toM !== start;
      const p = at(pos, opts.northM ?? 0);
      engine.onPosition(vehicleId, `dev-${vehicleId}`, opts.routeId === undefined ? 'R1' : opts.routeId, {
        ts: clock.ms, lat: p.lat, lon: p.lon, speedKmh: moving ? (Math.abs(leg.toM - start) / leg.seconds) * 3.6 : 0, courseDeg: moving ? (leg.toM > start ? 90 : 270) : null,
      });
    }
  }
  return pos;
}

/** Stop-to-stop legs of the fixture line: `runS` between stops, `dwellS` standing at each. */
export function stopToStop(from: number, to: number, runS: number, dwellS: number): Leg[] {
  const legs: Leg[] = [];
  const dir = to > from ? 1 : -1;
  for (let s = from; s !== to; s += dir) {
    legs.push({ toM: (s + dir) * 500, seconds: runS });
    if (dwellS > 0 && s + dir !== to) legs.push({ toM: (s + dir) * 500, seconds: dwellS });
  }
  return legs;
}
