import { crc16Arc } from '../common/crc.ts';
import { ByteReader, FrameError } from '../common/reader.ts';
import { isAvlCodec, readAvlRecords } from './avl-data.ts';
import type { DecodeStep } from './decode.ts';

/**
 * Teltonika "Codec" wiki, "Codec 8 / AVL data packet": 4 zero bytes, data field length (4),
 * codec id, number of data 1, AVL data, number of data 2, CRC-16/IBM (4, upper two zero)
 * computed over codec id … number of data 2.
 */
export function decodeTcpAvlPacket(view: Buffer, maxFrameBytes: number): DecodeStep {
  if (view.length < 8) {
    // A non-zero preamble byte can be refused before the rest arrives.
    for (let i = 0; i < Math.min(4, view.length); i++) if (view[i] !== 0) return { kind: 'invalid', reason: 'preamble is not four zero bytes' };
    return { kind: 'incomplete' };
  }
  if (view.readUInt32BE(0) !== 0) return { kind: 'invalid', reason: 'preamble is not four zero bytes' };
  const dataLength = view.readUInt32BE(4);
  const size = 8 + dataLength + 4;
  if (dataLength < 3) return { kind: 'invalid', reason: `data field length ${dataLength} is too short` };
  if (size > maxFrameBytes) return { kind: 'invalid', reason: `data field length ${dataLength} exceeds the ${maxFrameBytes}-byte frame limit` };
  if (view.length < size) return { kind: 'incomplete' };

  const dataEnd = 8 + dataLength;
  const sent = view.readUInt32BE(dataEnd);
  const computed = crc16Arc(view, 8, dataEnd);
  if (sent !== computed) return { kind: 'bad-crc', size, sent, computed };

  const codec = view.readUInt8(8);
  if (!isAvlCodec(codec)) return { kind: 'unsupported', size, what: `codec 0x${codec.toString(16).padStart(2, '0')}` };
  try {
    const r = new ByteReader(view, 9, dataEnd);
    const count1 = r.u8('number of data 1');
    const records = readAvlRecords(r, codec, count1);
    const count2 = r.u8('number of data 2');
    if (count1 !== count2) throw new FrameError(`number of data 1 (${count1}) differs from number of data 2 (${count2})`);
    if (r.remaining !== 0) throw new FrameError(`${r.remaining} bytes left over after the records`);
    return { kind: 'avl', codec, records, size };
  } catch (e) {
    if (e instanceof FrameError) return { kind: 'malformed', size, reason: e.message };
    throw e;
  }
}

/** The TCP acknowledgement: number of records received, 4 bytes big-endian. */
export function encodeTcpAck(count: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(count >>> 0);
  return b;
}
