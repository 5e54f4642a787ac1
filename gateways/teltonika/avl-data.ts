import type { ByteReader } from '../common/reader.ts';

export const CODEC_8 = 0x08;
export const CODEC_8E = 0x8e;
export type AvlCodec = typeof CODEC_8 | typeof CODEC_8E;

/** One AVL record as the device sent it (Teltonika "Codec" wiki, "AVL Data" and "GPS element"). */
export interface AvlRecord {
  /** epoch milliseconds, UTC */
  timestamp: number;
  priority: number;
  /** degrees, from int32 / 1e7 (two's complement) */
  lon: number;
  lat: number;
  altitude: number;
  angle: number;
  satellites: number;
  /** km/h */
  speed: number;
  eventIoId: number;
  /** N1, N2, N4 and N8 elements by id, unsigned */
  io: Map<number, number>;
  /** Codec 8 Extended NX elements: variable-length byte strings, kept raw */
  ioX: Map<number, Buffer>;
  /** the record's own bytes, to spot exact duplicates */
  raw: Buffer;
}

/**
 * Reads `count` records from a reader positioned after "Number of Data 1".
 * Codec 8 has 1-byte IO ids and counts; Codec 8 Extended has 2-byte ones and an NX group.
 */
export function readAvlRecords(r: ByteReader, codec: AvlCodec, count: number): AvlRecord[] {
  const records: AvlRecord[] = [];
  const ext = codec === CODEC_8E;
  const id = (what: string) => (ext ? r.u16(what) : r.u8(what));
  for (let n = 0; n < count; n++) {
    const start = r.pos;
    const timestamp = r.u64('timestamp');
    const priority = r.u8('priority');
    const lon = r.i32('longitude') / 1e7;
    const lat = r.i32('latitude') / 1e7;
    const altitude = r.i16('altitude');
    const angle = r.u16('angle');
    const satellites = r.u8('satellites');
    const speed = r.u16('speed');
    const eventIoId = id('event IO id');
    id('IO element count');
    const io = new Map<number, number>();
    const ioX = new Map<number, Buffer>();
    for (const width of [1, 2, 4, 8] as const) {
      const k = id(`N${width} count`);
      for (let i = 0; i < k; i++) {
        const ioId = id(`N${width} IO id`);
        const value = width === 1 ? r.u8('N1 value') : width === 2 ? r.u16('N2 value') : width === 4 ? r.u32('N4 value') : r.u64('N8 value');
        io.set(ioId, value);
      }
    }
    if (ext) {
      const k = r.u16('NX count');
      for (let i = 0; i < k; i++) {
        const ioId = r.u16('NX IO id');
        const len = r.u16('NX length');
        ioX.set(ioId, r.bytes(len, 'NX value'));
      }
    }
    records.push({ timestamp, priority, lon, lat, altitude, angle, satellites, speed, eventIoId, io, ioX, raw: r.buf.subarray(start, r.pos) });
  }
  return records;
}

export function isAvlCodec(codec: number): codec is AvlCodec {
  return codec === CODEC_8 || codec === CODEC_8E;
}
