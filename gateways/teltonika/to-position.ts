import type { PositionPayload } from '../../services/contracts/index.ts';
import type { AvlRecord } from './avl-data.ts';
import { IO_GNSS_HDOP, IO_IGNITION, IO_TOTAL_ODOMETER } from './io.ts';

/**
 * Maps a record to the position contract. A record without a GPS fix (Teltonika sends zero
 * satellites and the last or zero coordinates) is kept with `fix: false`.
 */
export function teltonikaRecordToPayload(rec: AvlRecord): PositionPayload {
  const fix = rec.satellites > 0 && !(rec.lat === 0 && rec.lon === 0);
  const io: Record<string, number> = {};
  for (const [id, value] of rec.io) io[String(id)] = value;
  const payload: PositionPayload = {
    ts: rec.timestamp,
    lat: rec.lat,
    lon: rec.lon,
    speedKmh: rec.speed,
    courseDeg: rec.angle,
    altitudeM: rec.altitude,
    satellites: rec.satellites,
    fix,
  };
  const ignition = rec.io.get(IO_IGNITION);
  if (ignition !== undefined) payload.ignition = ignition !== 0;
  const odometer = rec.io.get(IO_TOTAL_ODOMETER);
  if (odometer !== undefined) payload.odometerKm = odometer / 1000;
  const hdop = rec.io.get(IO_GNSS_HDOP);
  if (hdop !== undefined) payload.hdop = hdop / 10;
  if (rec.io.size > 0) payload.io = io;
  return payload;
}
