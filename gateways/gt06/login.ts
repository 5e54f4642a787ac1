import { ByteReader, FrameError } from '../common/reader.ts';

/**
 * "Login message" (0x01): terminal ID as 8 bytes of BCD, the 15-digit IMEI with a leading 0.
 * Newer firmware appends type identification and time zone, which are ignored here.
 */
export function decodeGt06Login(content: Buffer): { imei: string } {
  const id = new ByteReader(content).bytes(8, 'terminal ID').toString('hex');
  if (!/^\d{16}$/.test(id)) throw new FrameError('terminal ID is not BCD');
  return { imei: id.startsWith('0') ? id.slice(1) : id };
}
