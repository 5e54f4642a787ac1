/**
 * The CRC-16 variants the tracker protocols use, all table-driven and reflected.
 * Check values ("123456789"): ARC 0xBB3D, X-25 0x906E.
 */

function reflectedTable(poly: number): Uint16Array {
  const table = new Uint16Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    table[n] = c;
  }
  return table;
}

const ARC_TABLE = reflectedTable(0xa001);
const X25_TABLE = reflectedTable(0x8408);

/**
 * CRC-16/ARC, which Teltonika calls CRC-16/IBM (poly 0x8005 reflected, init 0, no final xor).
 * Teltonika "Codec" wiki, section "CRC-16": computed over codec id … number of data 2.
 */
export function crc16Arc(data: Uint8Array, start = 0, end = data.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ (ARC_TABLE[(crc ^ (data[i] ?? 0)) & 0xff] ?? 0);
  return crc & 0xffff;
}

/**
 * Wialon IPS 2.0 "Appendix 1 / Checksum": the same CRC-16 (poly 0xA001 table, init 0) as ARC.
 * Verified against Traccar's 2.0 fixtures (e.g. "#SD#300924;…;NA;7A01").
 */
export const crc16Wialon = crc16Arc;

/** CRC-ITU / CRC-16/X-25 (poly 0x1021 reflected, init 0xFFFF, final xor 0xFFFF): GT06 "Error check". */
export function crc16X25(data: Uint8Array, start = 0, end = data.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ (X25_TABLE[(crc ^ (data[i] ?? 0)) & 0xff] ?? 0);
  return (crc ^ 0xffff) & 0xffff;
}
