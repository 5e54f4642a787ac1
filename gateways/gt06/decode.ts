import { FrameError } from '../common/reader.ts';
import type { Gt06Gps } from './gps.ts';
import { decodeGt06Location } from './location.ts';
import type { Gt06Location } from './location.ts';
import { decodeGt06Login } from './login.ts';
import { decodeGt06GpsStatus, decodeGt06Heartbeat } from './status.ts';
import type { Gt06Status } from './status.ts';

export const GT06_LOGIN = 0x01;
export const GT06_LOCATION = 0x12;
export const GT06_HEARTBEAT = 0x13;
export const GT06_GPS_STATUS = 0x16;
export const GT06_LOCATION_2 = 0x22;
export const GT06_GPS_STATUS_2 = 0x26;

export type Gt06Packet =
  | { type: 'login'; imei: string }
  | { type: 'location'; gps: Gt06Location }
  | { type: 'heartbeat'; status: Gt06Status }
  | { type: 'gps-status'; gps: Gt06Gps; status: Gt06Status }
  | { type: 'unsupported'; protocol: number }
  | { type: 'malformed'; reason: string };

/** Pure: the meaning of one checked frame, by its protocol number. */
export function decodeGt06Packet(protocol: number, content: Buffer): Gt06Packet {
  try {
    switch (protocol) {
      case GT06_LOGIN:
        return { type: 'login', ...decodeGt06Login(content) };
      case GT06_LOCATION:
      case GT06_LOCATION_2:
        return { type: 'location', gps: decodeGt06Location(content, protocol) };
      case GT06_HEARTBEAT:
        return { type: 'heartbeat', status: decodeGt06Heartbeat(content) };
      case GT06_GPS_STATUS:
      case GT06_GPS_STATUS_2: {
        const { status, ...gps } = decodeGt06GpsStatus(content);
        return { type: 'gps-status', gps, status };
      }
      default:
        return { type: 'unsupported', protocol };
    }
  } catch (e) {
    if (e instanceof FrameError) return { type: 'malformed', reason: e.message };
    throw e;
  }
}

export { encodeGt06Reply, nextGt06Frame } from './framing.ts';
