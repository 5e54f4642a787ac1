import { checkCrc } from './fields.ts';

export type LoginPacket =
  | { type: 'login'; version: '1.1' | '2.0'; imei: string; password: string | null }
  | { type: 'login-error'; code: '10' | '0'; reason: string };

/**
 * Wialon IPS "Login packet": 1.1 is "#L#imei;password", 2.0 is "#L#2.0;imei;password;crc16".
 * Answers: #AL#1 accepted, #AL#0 refused, #AL#01 wrong password, #AL#10 checksum error.
 */
export function decodeLogin(body: Buffer): LoginPacket {
  const text = body.toString('utf8');
  const fields = text.split(';');
  if (fields.length >= 4 && /^2\.\d+$/.test(fields[0] ?? '')) {
    const crc = checkCrc(body);
    if (!crc.ok) return { type: 'login-error', code: '10', reason: crc.reason };
    const [, imei, password] = fields;
    if (!imei || imei.length > 64) return { type: 'login-error', code: '0', reason: 'no device id in the login' };
    return { type: 'login', version: '2.0', imei, password: password && password !== 'NA' ? password : null };
  }
  if (fields.length === 2 || fields.length === 1) {
    const [imei, password] = fields;
    if (!imei || imei.length > 64) return { type: 'login-error', code: '0', reason: 'no device id in the login' };
    return { type: 'login', version: '1.1', imei, password: password && password !== 'NA' ? password : null };
  }
  return { type: 'login-error', code: '0', reason: `login has ${fields.length} fields` };
}
