import { ByteReader, FrameError } from '../common/reader.ts';
import { isAvlCodec, readAvlRecords } from './avl-data.ts';
import type { AvlCodec, AvlRecord } from './avl-data.ts';

export type UdpDecodeResult =
  | { kind: 'avl'; packetId: number; avlPacketId: number; imei: string; codec: AvlCodec; records: AvlRecord[] }
  | { kind: 'unsupported'; packetId: number; avlPacketId: number; imei: string; what: string }
  | { kind: 'invalid'; reason: string };

/**
 * Teltonika "Codec" wiki, "Codec 8 … sending over UDP": UDP channel header (length, packet id,
 * not-usable byte), AVL packet header (AVL packet id, IMEI length, IMEI), then codec id, number
 * of data 1, records, number of data 2. UDP has no CRC: the datagram checksum covers it.
 */
export function decodeUdpPacket(datagram: Buffer): UdpDecodeResult {
  try {
    const r = new ByteReader(datagram);
    const length = r.u16('packet length');
    if (length !== datagram.length - 2) throw new FrameError(`packet length ${length} does not match the ${datagram.length - 2} bytes received`);
    const packetId = r.u16('packet id');
    r.u8('not usable byte');
    const avlPacketId = r.u8('AVL packet id');
    const imeiLength = r.u16('IMEI length');
    if (imeiLength === 0 || imeiLength > 20) throw new FrameError(`IMEI length ${imeiLength} is not 1–20`);
    const imei = r.bytes(imeiLength, 'IMEI').toString('latin1');
    if (!/^\d+$/.test(imei)) throw new FrameError('IMEI is not decimal digits');
    const codec = r.u8('codec id');
    if (!isAvlCodec(codec)) return { kind: 'unsupported', packetId, avlPacketId, imei, what: `codec 0x${codec.toString(16).padStart(2, '0')}` };
    const count1 = r.u8('number of data 1');
    const records = readAvlRecords(r, codec, count1);
    const count2 = r.u8('number of data 2');
    if (count1 !== count2) throw new FrameError(`number of data 1 (${count1}) differs from number of data 2 (${count2})`);
    if (r.remaining !== 0) throw new FrameError(`${r.remaining} bytes left over after the records`);
    return { kind: 'avl', packetId, avlPacketId, imei, codec, records };
  } catch (e) {
    if (e instanceof FrameError) return { kind: 'invalid', reason: e.message };
    throw e;
  }
}

/** The UDP acknowledgement: 0005, packet id, 01, AVL packet id, number of accepted records. */
export function encodeUdpAck(packetId: number, avlPacketId: number, count: number): Buffer {
  const b = Buffer.alloc(7);
  b.writeUInt16BE(5, 0);
  b.writeUInt16BE(packetId & 0xffff, 2);
  b.writeUInt8(0x01, 4);
  b.writeUInt8(avlPacketId & 0xff, 5);
  b.writeUInt8(count & 0xff, 6);
  return b;
}
