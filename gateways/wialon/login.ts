import { LOGIN_ID_RULES } from '../../services/contracts/index.ts';
import { checkCrc } from './fields.ts';

export type LoginPacket =
  | { type: 'login'; version: '1.1' | '2.0'; unitId: string; password: string | null }
  | { type: 'login-error'; code: '10' | '0'; reason: string };

const UNIT_ID = LOGIN_ID_RULES['wialon-ips'];

/**
 * The unit id field: named "IMEI" by the specification, it holds "IMEI, ID or serial number of
 * the controller", whatever unique id the unit was configured with (e.g. 236010173). The rule is
 * the registry's (services/contracts/devices.ts), so an id the registry could never hold is
 * refused here with the reason, not looked up.
 */
function unitIdOf(field: string | undefined, password: string | undefined, version: '1.1' | '2.0'): LoginPacket {
  if (!field) return { type: 'login-error', code: '0', reason: 'no unit id in the login' };
  if (!UNIT_ID.pattern.test(field)) return { type: 'login-error', code: '0', reason: `unit id "${field.slice(0, 64)}" ${UNIT_ID.rule}` };
  return { type: 'login', version, unitId: field, password: password && password !== 'NA' ? password : null };
}

/**
 * Wialon IPS "Login packet": 1.1 is "#L#unitId;password", 2.0 is "#L#2.0;unitId;password;crc16".
 * Answers: #AL#1 accepted, #AL#0 refused, #AL#01 wrong password, #AL#10 checksum error.
 */
export function decodeLogin(body: Buffer): LoginPacket {
  const text = body.toString('utf8');
  const fields = text.split(';');
  if (fields.length >= 4 && /^2\.\d+$/.test(fields[0] ?? '')) {
    const crc = checkCrc(body);
    if (!crc.ok) return { type: 'login-error', code: '10', reason: crc.reason };
    return unitIdOf(fields[1], fields[2], '2.0');
  }
  if (fields.length === 2 || fields.length === 1) return unitIdOf(fields[0], fields[1], '1.1');
  return { type: 'login-error', code: '0', reason: `login has ${fields.length} fields` };
}
