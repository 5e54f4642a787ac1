import { crc16X25 } from '../../gateways/common/crc.ts';

/** Wraps protocol number, content and serial into a checked 0x7878 (or 0x7979) packet. */
export function encodeGt06Packet(protocol: number, content: Uint8Array, serial: number, long = false): Buffer {
  const length = 1 + content.length + 2 + 2;
  const head = long ? Buffer.from([0x79, 0x79, (length >> 8) & 0xff, length & 0xff]) : Buffer.from([0x78, 0x78, length & 0xff]);
  const body = Buffer.concat([head, Buffer.from([protocol]), Buffer.from(content), Buffer.from([(serial >> 8) & 0xff, serial & 0xff])]);
  const crc = Buffer.alloc(2);
  crc.writeUInt16BE(crc16X25(body, 2));
  return Buffer.concat([body, crc, Buffer.from([0x0d, 0x0a])]);
}

export function encodeGt06Login(imei: string, serial: number): Buffer {
  return encodeGt06Packet(0x01, Buffer.from(imei.padStart(16, '0'), 'hex'), serial);
}

export interface Gt06FixInput {
  ts: number;
  lat: number;
  lon: number;
  speedKmh?: number;
  courseDeg?: number;
  satellites?: number;
  positioned?: boolean;
  acc?: boolean;
}

function gpsBlock(f: Gt06FixInput): Buffer {
  const d = new Date(f.ts);
  const b = Buffer.alloc(18);
  b.set([d.getUTCFullYear() % 100, d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()], 0);
  b.writeUInt8(0xc0 | ((f.satellites ?? 8) & 0x0f), 6);
  b.writeUInt32BE(Math.round(Math.abs(f.lat) * 60 * 30000), 7);
  b.writeUInt32BE(Math.round(Math.abs(f.lon) * 60 * 30000), 11);
  b.writeUInt8(Math.round(f.speedKmh ?? 0), 15);
  let flags = Math.round(f.courseDeg ?? 0) & 0x3ff;
  if (f.lat >= 0) flags |= 0x0400;
  if (f.lon < 0) flags |= 0x0800;
  if (f.positioned ?? true) flags |= 0x1000;
  b.writeUInt16BE(flags, 16);
  return b;
}

const LBS = Buffer.from([0x01, 0xff, 0x01, 0x00, 0x01, 0x00, 0x00, 0x01]);

/** 0x22 location (GPS, LBS, ACC, upload mode, real-time flag). */
export function encodeGt06Location(f: Gt06FixInput, serial: number): Buffer {
  return encodeGt06Packet(0x22, Buffer.concat([gpsBlock(f), LBS, Buffer.from([f.acc ? 1 : 0, 0x00, 0x00])]), serial);
}

/** 0x13 heartbeat: terminal info, voltage level, GSM signal, alarm/language. */
export function encodeGt06Heartbeat(serial: number, acc = false): Buffer {
  return encodeGt06Packet(0x13, Buffer.from([0x40 | (acc ? 0x02 : 0), 0x04, 0x03, 0x00, 0x02]), serial);
}
