import type { DecodeStep } from './decode.ts';

/** The largest IMEI field accepted: 15 digits, a little slack for odd firmware. */
const MAX_IMEI_LENGTH = 20;

/**
 * Teltonika "Codec" wiki, "Communication with server": the device opens with two bytes of length
 * and the IMEI in ASCII; the server answers 01 (accept) or 00 (refuse).
 */
export function decodeImeiLogin(view: Buffer): DecodeStep {
  if (view.length < 2) return { kind: 'incomplete' };
  const len = view.readUInt16BE(0);
  if (len === 0 || len > MAX_IMEI_LENGTH) return { kind: 'invalid', reason: `IMEI length ${len} is not 1–${MAX_IMEI_LENGTH}` };
  if (view.length < 2 + len) return { kind: 'incomplete' };
  const imei = view.toString('latin1', 2, 2 + len);
  if (!/^\d+$/.test(imei)) return { kind: 'invalid', reason: 'IMEI is not decimal digits' };
  return { kind: 'login', imei, size: 2 + len };
}

export const LOGIN_ACCEPTED = Buffer.from([0x01]);
export const LOGIN_REFUSED = Buffer.from([0x00]);
