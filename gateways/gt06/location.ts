import { ByteReader } from '../common/reader.ts';
import { readGt06Gps } from './gps.ts';
import type { Gt06Gps } from './gps.ts';

export interface Gt06Location extends Gt06Gps {
  /** ACC (ignition), present in 0x22 packets */
  acc?: boolean;
}

/**
 * "Location data" 0x12 (GPS + LBS) and 0x22 (GPS + LBS of GT06N/Concox, which adds ACC, data
 * upload mode and GPS real-time re-upload after the cell id). Trailing extensions are ignored.
 */
export function decodeGt06Location(content: Buffer, protocol: 0x12 | 0x22): Gt06Location {
  const r = new ByteReader(content);
  const gps: Gt06Location = readGt06Gps(r);
  if (protocol === 0x22 && r.remaining >= 9) {
    r.skip(8, 'LBS');
    gps.acc = r.u8('ACC') !== 0;
  }
  return gps;
}
