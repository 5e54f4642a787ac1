import type { PositionPayload } from '../../services/contracts/index.ts';
import type { Gt06Gps } from './gps.ts';

/**
 * Maps a GT06 fix to the position contract. Without the "positioned" bit the coordinates are
 * stale, so the record is kept with `fix: false`. ACC and GSM signal go to `io` under the
 * Teltonika ids that mean the same (239 ignition, 21 GSM signal), so dashboards read one numbering.
 */
export function gt06ToPayload(gps: Gt06Gps, extra: { acc?: boolean; gsmSignal?: number }): PositionPayload {
  const payload: PositionPayload = {
    ts: gps.ts,
    lat: gps.lat,
    lon: gps.lon,
    speedKmh: gps.speedKmh,
    courseDeg: gps.courseDeg,
    satellites: gps.satellites,
    fix: gps.positioned,
  };
  const io: Record<string, number> = {};
  if (extra.acc !== undefined) {
    payload.ignition = extra.acc;
    io['239'] = extra.acc ? 1 : 0;
  }
  if (extra.gsmSignal !== undefined) io['21'] = extra.gsmSignal;
  if (Object.keys(io).length > 0) payload.io = io;
  return payload;
}
