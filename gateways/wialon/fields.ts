import { crc16Wialon } from '../common/crc.ts';

/** One position record of an SD, D or B packet, decoded. Absent fields were NA (no data). */
export interface WialonRecord {
  /** epoch ms, UTC; the receive time when the device sent NA */
  ts: number;
  /** undefined when the device had no coordinates (NA) */
  lat?: number;
  lon?: number;
  speedKmh?: number;
  courseDeg?: number;
  altitudeM?: number;
  satellites?: number;
  hdop?: number;
  inputs?: number;
  outputs?: number;
  adc?: number[];
  ibutton?: string;
  params: Record<string, number | string>;
}

/**
 * A field that failed, with the answer code the Wialon IPS 2.0 specification gives for it
 * ("Short data packet" / "Extended data packet": -1 structure, 0 time, 10 coordinates,
 * 11 speed/course/height, 12 satellites/HDOP, 13 inputs/outputs, 14 ADC, 15 params).
 */
export class WialonFieldError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const isNa = (s: string | undefined) => s === undefined || s === '' || s === 'NA';
const NUMBER = /^-?\d+(\.\d+)?$/;
const UNSIGNED_INT = /^\d+$/;

function num(s: string | undefined, code: string, what: string): number | undefined {
  if (isNa(s)) return undefined;
  if (!NUMBER.test(s as string)) throw new WialonFieldError(code, `${what} "${(s as string).slice(0, 40)}" is not a number`);
  const v = Number(s);
  if (!Number.isFinite(v)) throw new WialonFieldError(code, `${what} is out of range`);
  return v;
}

function int(s: string | undefined, code: string, what: string): number | undefined {
  if (isNa(s)) return undefined;
  if (!UNSIGNED_INT.test(s as string) || (s as string).length > 15) throw new WialonFieldError(code, `${what} "${(s as string).slice(0, 40)}" is not a whole number`);
  return Number(s);
}

/** DDMMYY and HHMMSS[.fff], UTC; both NA means "now" (the specification's rule). */
export function parseDateTime(date: string | undefined, time: string | undefined, now: number): number {
  if (isNa(date) && isNa(time)) return now;
  const d = /^(\d{2})(\d{2})(\d{2})$/.exec(date ?? '');
  const t = /^(\d{2})(\d{2})(\d{2})(?:\.(\d{1,9}))?$/.exec(time ?? '');
  if (!d || !t) throw new WialonFieldError('0', `date "${(date ?? '').slice(0, 20)}" / time "${(time ?? '').slice(0, 20)}" is not DDMMYY / HHMMSS`);
  const [day, month, year] = [Number(d[1]), Number(d[2]), 2000 + Number(d[3])];
  const [hh, mm, ss] = [Number(t[1]), Number(t[2]), Number(t[3])];
  const ms = t[4] ? Math.floor(Number(`0.${t[4]}`) * 1000) : 0;
  const ts = Date.UTC(year, month - 1, day, hh, mm, ss, ms);
  const back = new Date(ts);
  if (month < 1 || month > 12 || hh > 23 || mm > 59 || ss > 59 || back.getUTCDate() !== day) {
    throw new WialonFieldError('0', `date ${date} time ${time} is not a real UTC time`);
  }
  return ts;
}

/** NMEA-style DDMM.MMMM (latitude) or DDDMM.MMMM (longitude) with its N/S or E/W sign. */
export function parseCoordinate(value: string | undefined, sign: string | undefined, axis: 'lat' | 'lon'): number | undefined {
  if (isNa(value) && isNa(sign)) return undefined;
  const what = axis === 'lat' ? 'latitude' : 'longitude';
  if (!/^\d{1,5}(\.\d{1,15})?$/.test(value ?? '')) throw new WialonFieldError('10', `${what} "${(value ?? '').slice(0, 30)}" is not DDMM.MMMM`);
  const signs = axis === 'lat' ? ['N', 'S'] : ['E', 'W'];
  if (!signs.includes(sign ?? '')) throw new WialonFieldError('10', `${what} sign "${(sign ?? '').slice(0, 5)}" is not ${signs.join(' or ')}`);
  const v = Number(value);
  const degrees = Math.floor(v / 100);
  const minutes = v - degrees * 100;
  if (minutes >= 60) throw new WialonFieldError('10', `${what} minutes ${minutes.toFixed(4)} are not below 60`);
  const deg = degrees + minutes / 60;
  if (deg > (axis === 'lat' ? 90 : 180)) throw new WialonFieldError('10', `${what} ${deg.toFixed(6)} is out of range`);
  // Rounded to 1e-7 degrees (≈1 cm): the decimal minutes carry no more, and binary noise would.
  const rounded = Math.round(deg * 1e7) / 1e7;
  return sign === 'S' || sign === 'W' ? -rounded : rounded;
}

/** The ten fields SD packets and the first ten of D packets share. */
export function parseShortFields(f: readonly string[], now: number): WialonRecord {
  const ts = parseDateTime(f[0], f[1], now);
  const lat = parseCoordinate(f[2], f[3], 'lat');
  const lon = parseCoordinate(f[4], f[5], 'lon');
  if ((lat === undefined) !== (lon === undefined)) throw new WialonFieldError('10', 'only one of latitude and longitude was given');
  const rec: WialonRecord = { ts, params: {} };
  if (lat !== undefined && lon !== undefined) {
    rec.lat = lat;
    rec.lon = lon;
  }
  const speed = num(f[6], '11', 'speed');
  const course = num(f[7], '11', 'course');
  const height = num(f[8], '11', 'height');
  if (speed !== undefined) rec.speedKmh = speed;
  if (course !== undefined) rec.courseDeg = course;
  if (height !== undefined) rec.altitudeM = height;
  const sats = int(f[9], '12', 'satellites');
  if (sats !== undefined) rec.satellites = sats;
  return rec;
}

/** Fields 11–16 of an extended data packet: hdop, inputs, outputs, adc, ibutton, params. */
export function parseExtendedFields(rec: WialonRecord, f: readonly string[]): WialonRecord {
  const hdop = num(f[10], '12', 'HDOP');
  if (hdop !== undefined) rec.hdop = hdop;
  const inputs = int(f[11], '13', 'inputs');
  const outputs = int(f[12], '13', 'outputs');
  if (inputs !== undefined) rec.inputs = inputs;
  if (outputs !== undefined) rec.outputs = outputs;
  if (!isNa(f[13])) {
    rec.adc = (f[13] as string).split(',').map((a, i) => {
      const v = num(a, '14', `ADC ${i + 1}`);
      if (v === undefined) throw new WialonFieldError('14', `ADC ${i + 1} is empty`);
      return v;
    });
  }
  if (!isNa(f[14])) rec.ibutton = f[14];
  if (!isNa(f[15])) {
    for (const p of (f[15] as string).split(',')) {
      const m = /^([^:]{1,64}):([123]):(.*)$/s.exec(p);
      if (!m) throw new WialonFieldError('15', `parameter "${p.slice(0, 40)}" is not NAME:TYPE:VALUE`);
      const [, name, type, value] = m as unknown as [string, string, string, string];
      if (type === '3') {
        rec.params[name] = value;
      } else {
        const pattern = type === '1' ? /^-?\d{1,19}$/ : /^-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d{1,3})?$/;
        const v = pattern.test(value) ? Number(value) : NaN;
        if (!Number.isFinite(v)) throw new WialonFieldError('15', `parameter ${name} value "${value.slice(0, 40)}" is not a type-${type} number`);
        rec.params[name] = v;
      }
    }
  }
  return rec;
}

/**
 * Splits off and checks the 2.0 checksum: CRC-16 over every byte after the packet type's
 * closing "#" up to and including the separator before the checksum field.
 */
export function checkCrc(body: Buffer): { ok: true; body: Buffer } | { ok: false; reason: string } {
  // The checksum follows the last ";" (SD, D, L) or "|" (B).
  let at = body.length - 1;
  while (at >= 0 && body[at] !== 0x3b && body[at] !== 0x7c) at--;
  if (at < 0) return { ok: false, reason: 'no checksum field' };
  const text = body.toString('latin1', at + 1);
  if (!/^(0x)?[0-9A-Fa-f]{1,4}$/.test(text)) return { ok: false, reason: `checksum "${text.slice(0, 10)}" is not 4 hex digits` };
  const sent = parseInt(text.replace(/^0x/, ''), 16);
  const computed = crc16Wialon(body, 0, at + 1);
  if (sent !== computed) return { ok: false, reason: `checksum ${text} differs from computed ${computed.toString(16).toUpperCase().padStart(4, '0')}` };
  return { ok: true, body: body.subarray(0, at) };
}
