import type { ByteReader } from '../common/reader.ts';
import { FrameError } from '../common/reader.ts';

/** The date, GPS and course/status block that location and alarm packets share. */
export interface Gt06Gps {
  /** epoch ms, UTC (devices are set to GMT, as Traccar assumes by default) */
  ts: number;
  satellites: number;
  lat: number;
  lon: number;
  speedKmh: number;
  courseDeg: number;
  /** course/status bit 12: "GPS has been positioned" */
  positioned: boolean;
  realTime: boolean;
}

/**
 * "Date Time" (YY MM DD HH MM SS), "Quantity of GPS information satellites" (length nibble and
 * satellites nibble), latitude and longitude (degrees × 30000 × 60), speed (km/h) and the
 * course/status word: bit 13 real-time, bit 12 positioned, bit 11 west, bit 10 north, bits 0–9 course.
 */
export function readGt06Gps(r: ByteReader): Gt06Gps {
  const [yy, mo, dd, hh, mi, ss] = [r.u8('year'), r.u8('month'), r.u8('day'), r.u8('hour'), r.u8('minute'), r.u8('second')];
  if (mo < 1 || mo > 12 || dd < 1 || dd > 31 || hh > 23 || mi > 59 || ss > 59) throw new FrameError(`date ${yy}-${mo}-${dd} ${hh}:${mi}:${ss} is not a real time`);
  const ts = Date.UTC(2000 + yy, mo - 1, dd, hh, mi, ss);
  if (new Date(ts).getUTCDate() !== dd) throw new FrameError(`day ${dd} does not exist in month ${mo}`);
  const satellites = r.u8('GPS info') & 0x0f;
  const latRaw = r.u32('latitude');
  const lonRaw = r.u32('longitude');
  const speedKmh = r.u8('speed');
  const flags = r.u16('course/status');
  const round = (v: number) => Math.round(v * 1e7) / 1e7;
  let lat = round(latRaw / 30000 / 60);
  let lon = round(lonRaw / 30000 / 60);
  if (!(flags & 0x0400)) lat = -lat;
  if (flags & 0x0800) lon = -lon;
  return { ts, satellites, lat, lon, speedKmh, courseDeg: flags & 0x03ff, positioned: (flags & 0x1000) !== 0, realTime: (flags & 0x2000) !== 0 };
}
