import { crc16X25 } from '../common/crc.ts';

export type Gt06FrameStep =
  | { kind: 'incomplete' }
  | { kind: 'invalid'; reason: string }
  | { kind: 'bad-crc'; size: number; sent: number; computed: number }
  | { kind: 'frame'; size: number; protocol: number; content: Buffer; serial: number; long: boolean };

/** A long (0x7979) packet larger than this is refused; real ones carry a few hundred bytes. */
export const GT06_MAX_LONG_PACKET = 2048;

/**
 * GT06 communication protocol, "Data packet format": start 0x7878 with a 1-byte length, or
 * 0x7979 with a 2-byte length; the length counts protocol number, content, serial number and
 * error check; the CRC-ITU (X.25) covers length … serial number; stop bytes 0x0D 0x0A.
 */
export function nextGt06Frame(view: Buffer, maxLongPacket = GT06_MAX_LONG_PACKET): Gt06FrameStep {
  if (view.length < 2) {
    if (view.length === 1 && view[0] !== 0x78 && view[0] !== 0x79) return { kind: 'invalid', reason: 'no 0x7878 / 0x7979 start bytes' };
    return { kind: 'incomplete' };
  }
  const start = view.readUInt16BE(0);
  const long = start === 0x7979;
  if (start !== 0x7878 && !long) return { kind: 'invalid', reason: 'no 0x7878 / 0x7979 start bytes' };
  const head = long ? 4 : 3;
  if (view.length < head) return { kind: 'incomplete' };
  const length = long ? view.readUInt16BE(2) : view.readUInt8(2);
  if (length < 5) return { kind: 'invalid', reason: `packet length ${length} is shorter than protocol number, serial and check` };
  if (long && length > maxLongPacket) return { kind: 'invalid', reason: `long packet length ${length} exceeds ${maxLongPacket}` };
  const size = head + length + 2;
  if (view.length < size) return { kind: 'incomplete' };
  if (view[size - 2] !== 0x0d || view[size - 1] !== 0x0a) return { kind: 'invalid', reason: 'stop bytes are not 0x0D 0x0A' };
  const crcAt = head + length - 2;
  const sent = view.readUInt16BE(crcAt);
  const computed = crc16X25(view, 2, crcAt);
  if (sent !== computed) return { kind: 'bad-crc', size, sent, computed };
  return {
    kind: 'frame',
    size,
    protocol: view.readUInt8(head),
    content: view.subarray(head + 1, crcAt - 2),
    serial: view.readUInt16BE(crcAt - 2),
    long,
  };
}

/** The server's echo: same protocol number and serial number, no content. */
export function encodeGt06Reply(protocol: number, serial: number): Buffer {
  const b = Buffer.from([0x78, 0x78, 0x05, protocol & 0xff, (serial >> 8) & 0xff, serial & 0xff, 0, 0, 0x0d, 0x0a]);
  b.writeUInt16BE(crc16X25(b, 2, 6), 6);
  return b;
}
