import { ReplySocket, crlfLine } from './reply-socket.ts';
import { crc16Wialon } from '../../gateways/common/crc.ts';

/** A record as a simulated Wialon IPS tracker would report it. */
export interface WialonRecordInput {
  /** epoch ms; undefined sends NA (the server then uses its clock) */
  ts?: number;
  /** undefined sends NA;NA (no fix) */
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
  params?: Record<string, number | string>;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const na = (v: number | undefined, digits?: number) => (v === undefined ? 'NA' : digits === undefined ? String(v) : v.toFixed(digits));

/** DDMM.MMMM;N or DDDMM.MMMM;E, as the specification writes coordinates. */
export function formatCoordinate(deg: number | undefined, axis: 'lat' | 'lon'): string {
  if (deg === undefined) return 'NA;NA';
  const abs = Math.abs(deg);
  const d = Math.floor(abs);
  const minutes = (abs - d) * 60;
  const sign = axis === 'lat' ? (deg < 0 ? 'S' : 'N') : deg < 0 ? 'W' : 'E';
  return `${pad(d, axis === 'lat' ? 2 : 3)}${minutes.toFixed(6).padStart(9, '0')};${sign}`;
}

function shortFields(r: WialonRecordInput): string {
  let dateTime = 'NA;NA';
  if (r.ts !== undefined) {
    const d = new Date(r.ts);
    dateTime = `${pad(d.getUTCDate())}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCFullYear() % 100)};${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
  }
  return [dateTime, formatCoordinate(r.lat, 'lat'), formatCoordinate(r.lon, 'lon'), na(r.speedKmh), na(r.courseDeg), na(r.altitudeM), na(r.satellites)].join(';');
}

function extendedFields(r: WialonRecordInput): string {
  const params = Object.entries(r.params ?? {})
    .map(([k, v]) => `${k}:${typeof v === 'string' ? 3 : Number.isInteger(v) ? 1 : 2}:${v}`)
    .join(',');
  return [shortFields(r), na(r.hdop), na(r.inputs), na(r.outputs), r.adc?.join(',') ?? 'NA', r.ibutton ?? 'NA', params || 'NA'].join(';');
}

const crcHex = (text: string) => crc16Wialon(Buffer.from(text, 'utf8')).toString(16).toUpperCase().padStart(4, '0');

/** Packets of Wialon IPS 2.0 (with checksum) or 1.1, CR LF included. */
export const wialonPackets = {
  login(imei: string, password = 'NA', version: '2.0' | '1.1' = '2.0'): string {
    if (version === '1.1') return `#L#${imei};${password}\r\n`;
    const body = `2.0;${imei};${password};`;
    return `#L#${body}${crcHex(body)}\r\n`;
  },
  shortData(r: WialonRecordInput, version: '2.0' | '1.1' = '2.0'): string {
    const body = `${shortFields(r)};`;
    return version === '2.0' ? `#SD#${body}${crcHex(body)}\r\n` : `#SD#${shortFields(r)}\r\n`;
  },
  data(r: WialonRecordInput, version: '2.0' | '1.1' = '2.0'): string {
    const body = `${extendedFields(r)};`;
    return version === '2.0' ? `#D#${body}${crcHex(body)}\r\n` : `#D#${extendedFields(r)}\r\n`;
  },
  blackBox(records: readonly WialonRecordInput[], version: '2.0' | '1.1' = '2.0'): string {
    const joined = records.map(extendedFields).join('|');
    if (version === '1.1') return `#B#${joined}\r\n`;
    const body = `${joined}|`;
    return `#B#${body}${crcHex(body)}\r\n`;
  },
  ping(): string {
    return '#P#\r\n';
  },
};

/**
 * A Wialon IPS tracker over TCP: one packet at a time, each resolved with the server's answer
 * line ("#AD#1", …); resolves the answer's code.
 */
export class WialonTcpClient {
  private readonly conn: ReplySocket;

  constructor(
    private readonly version: '2.0' | '1.1' = '2.0',
    timeoutMs = 10_000,
  ) {
    this.conn = new ReplySocket(timeoutMs);
  }

  connect(host: string, port: number): Promise<void> {
    return this.conn.connect(host, port);
  }

  /** "#AL#…" code: "1" accepted, "0" refused, "01" password, "10" checksum. */
  async login(imei: string, password = 'NA'): Promise<string> {
    return code(await this.request(wialonPackets.login(imei, password, this.version)), '#AL#');
  }
  /** "#AD#…" code. */
  async sendData(record: WialonRecordInput): Promise<string> {
    return code(await this.request(wialonPackets.data(record, this.version)), '#AD#');
  }
  /** "#ASD#…" code. */
  async sendShortData(record: WialonRecordInput): Promise<string> {
    return code(await this.request(wialonPackets.shortData(record, this.version)), '#ASD#');
  }
  /** "#AB#n": the number of records the server took ("" on a checksum error). */
  async sendBlackBox(records: readonly WialonRecordInput[]): Promise<string> {
    return code(await this.request(wialonPackets.blackBox(records, this.version)), '#AB#');
  }
  async ping(): Promise<void> {
    code(await this.request(wialonPackets.ping()), '#AP#');
  }
  /** Sends raw text and resolves the next answer line, without its CR LF. */
  async request(text: string): Promise<string> {
    const line = await this.conn.request(text, crlfLine);
    return line.subarray(0, line.length - 2).toString('utf8');
  }

  close(): void {
    this.conn.close();
  }
}

function code(line: string, prefix: string): string {
  if (!line.startsWith(prefix)) throw new Error(`expected ${prefix}…, got "${line}"`);
  return line.slice(prefix.length);
}
