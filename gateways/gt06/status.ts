import { ByteReader } from '../common/reader.ts';
import { readGt06Gps } from './gps.ts';
import type { Gt06Gps } from './gps.ts';

/** "Terminal information content": bit 1 ACC high, bit 6 GPS tracking on, bits 3–5 alarm. */
export interface Gt06Status {
  acc: boolean;
  gpsTracking: boolean;
  alarm: number;
  /** 0–6 scale */
  voltageLevel: number;
  /** 0–4 scale */
  gsmSignal: number;
}

function readStatus(r: ByteReader): Gt06Status {
  const info = r.u8('terminal information');
  const voltageLevel = r.u8('voltage level');
  const gsmSignal = r.u8('GSM signal strength');
  return { acc: (info & 0x02) !== 0, gpsTracking: (info & 0x40) !== 0, alarm: (info >> 3) & 0x07, voltageLevel, gsmSignal };
}

/** "Status information" 0x13 (heartbeat): terminal info, voltage, GSM signal, alarm/language. */
export function decodeGt06Heartbeat(content: Buffer): Gt06Status {
  return readStatus(new ByteReader(content));
}

/**
 * "Alarm data" 0x16 (GPS + LBS + status) and 0x26 (its GT06N form): the GPS block, an LBS block
 * led by its own length byte, then the status block.
 */
export function decodeGt06GpsStatus(content: Buffer): Gt06Gps & { status: Gt06Status } {
  const r = new ByteReader(content);
  const gps = readGt06Gps(r);
  const lbsLength = r.u8('LBS length');
  if (lbsLength > 0) r.skip(lbsLength - 1, 'LBS');
  return { ...gps, status: readStatus(r) };
}
