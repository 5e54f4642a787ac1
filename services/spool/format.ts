import * as zlib from 'node:zlib';

/**
 * On-disk record framing of the spool:
 *
 *   u32 LE  payload length
 *   u32 LE  CRC-32 of (the 4 length bytes, then the payload)
 *   ...     payload
 *
 * The CRC covers the length too, so a corrupt length is caught instead of sending the reader
 * off into the wrong bytes, and an all-zero header (a hole left by a crash) never passes.
 */
export const HEADER_BYTES = 8;

/** Largest payload the spool takes; also bounds how far a damaged length can mislead a scan. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** Table CRC-32 (IEEE), for Node releases before 20.15 that lack `zlib.crc32`. */
export function tableCrc32(data: Uint8Array, value = 0): number {
  let c = (value ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) c = (TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8)) >>> 0;
  return (c ^ 0xffffffff) >>> 0;
}

// Looked up at run time: `engines` allows Node 20.11, and zlib.crc32 arrived in 20.15.
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

export const crc32: (data: Uint8Array, value?: number) => number = nativeCrc32 ?? tableCrc32;

/** The checksum stored in a header: over the length bytes, then the payload. */
export function recordCrc(lengthBytes: Uint8Array, payload: Uint8Array): number {
  return crc32(payload, crc32(lengthBytes));
}

/** Writes header and payload of one record into `buf` at `at`; returns the offset after it. */
export function encodeRecord(buf: Buffer, at: number, payload: Uint8Array): number {
  buf.writeUInt32LE(payload.byteLength, at);
  buf.set(payload, at + HEADER_BYTES);
  const crc = recordCrc(buf.subarray(at, at + 4), payload);
  buf.writeUInt32LE(crc, at + 4);
  return at + HEADER_BYTES + payload.byteLength;
}

export type ParseResult =
  | { kind: 'record'; payload: Buffer; next: number }
  /** The record may be fine but is not wholly inside `buf`: read `need` bytes from `at`. */
  | { kind: 'short'; need: number }
  | { kind: 'corrupt' };

/**
 * Parses the record starting at `at` in `buf`, where `buf` holds file bytes and `avail` says
 * how many bytes the record may span at most (up to the end of the readable range), which can
 * be more than what `buf` holds.
 */
export function parseRecord(buf: Buffer, at: number, avail: number): ParseResult {
  const inBuf = buf.length - at;
  if (avail < HEADER_BYTES) return { kind: 'corrupt' };
  if (inBuf < HEADER_BYTES) return { kind: 'short', need: HEADER_BYTES };
  const len = buf.readUInt32LE(at);
  if (len > MAX_RECORD_BYTES || HEADER_BYTES + len > avail) return { kind: 'corrupt' };
  if (HEADER_BYTES + len > inBuf) return { kind: 'short', need: HEADER_BYTES + len };
  const payload = buf.subarray(at + HEADER_BYTES, at + HEADER_BYTES + len);
  if (recordCrc(buf.subarray(at, at + 4), payload) !== buf.readUInt32LE(at + 4)) return { kind: 'corrupt' };
  return { kind: 'record', payload, next: at + HEADER_BYTES + len };
}

/**
 * After a corrupt record at `from - 1`, finds the first offset in `buf` (≥ `from`) where a whole,
 * valid record starts, or -1. `buf` must hold everything up to the end of the readable range.
 */
export function resync(buf: Buffer, from: number): number {
  for (let q = from; q + HEADER_BYTES <= buf.length; q++) {
    const r = parseRecord(buf, q, buf.length - q);
    if (r.kind === 'record') return q;
  }
  return -1;
}

/** Segment files are named by the spool offset of their first byte, zero-padded to sort. */
export function segmentName(base: number): string {
  return `${String(base).padStart(16, '0')}.seg`;
}

export function parseSegmentName(name: string): number | null {
  const m = /^(\d{16})\.seg$/.exec(name);
  return m ? Number(m[1]) : null;
}
