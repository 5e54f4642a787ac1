import { crc16Arc } from '../../gateways/common/crc.ts';
import { ReplySocket, fixedLength } from './reply-socket.ts';

/** A record as a simulated Teltonika tracker would log it. */
export interface TeltonikaRecordInput {
  /** epoch ms */
  ts: number;
  lat: number;
  lon: number;
  altitudeM?: number;
  courseDeg?: number;
  satellites?: number;
  speedKmh?: number;
  priority?: number;
  eventIoId?: number;
  /** IO elements by id; the value's width is picked from its size unless given in `ioWidths` */
  io?: Record<number, number>;
  ioWidths?: Record<number, 1 | 2 | 4 | 8>;
}

function widthOf(value: number): 1 | 2 | 4 | 8 {
  if (value <= 0xff) return 1;
  if (value <= 0xffff) return 2;
  if (value <= 0xffffffff) return 4;
  return 8;
}

/** Encodes records as the AVL data array of Codec 8 (0x08) or Codec 8 Extended (0x8E). */
export function encodeAvlData(records: readonly TeltonikaRecordInput[], codec: 0x08 | 0x8e = 0x08): Buffer {
  const ext = codec === 0x8e;
  const parts: Buffer[] = [Buffer.from([codec, records.length])];
  const idBuf = (n: number) => {
    const b = Buffer.alloc(ext ? 2 : 1);
    if (ext) b.writeUInt16BE(n);
    else b.writeUInt8(n);
    return b;
  };
  for (const r of records) {
    const head = Buffer.alloc(24);
    head.writeBigUInt64BE(BigInt(r.ts), 0);
    head.writeUInt8(r.priority ?? 0, 8);
    head.writeInt32BE(Math.round(r.lon * 1e7), 9);
    head.writeInt32BE(Math.round(r.lat * 1e7), 13);
    head.writeInt16BE(Math.round(r.altitudeM ?? 0), 17);
    head.writeUInt16BE(Math.round(r.courseDeg ?? 0), 19);
    head.writeUInt8(r.satellites ?? 0, 21);
    head.writeUInt16BE(Math.round(r.speedKmh ?? 0), 22);
    parts.push(head);
    const groups: Record<1 | 2 | 4 | 8, Array<[number, number]>> = { 1: [], 2: [], 4: [], 8: [] };
    for (const [idText, value] of Object.entries(r.io ?? {})) {
      const id = Number(idText);
      groups[r.ioWidths?.[id] ?? widthOf(value)].push([id, value]);
    }
    const total = groups[1].length + groups[2].length + groups[4].length + groups[8].length;
    parts.push(idBuf(r.eventIoId ?? 0), idBuf(total));
    for (const w of [1, 2, 4, 8] as const) {
      parts.push(idBuf(groups[w].length));
      for (const [id, value] of groups[w]) {
        const v = Buffer.alloc(w);
        if (w === 1) v.writeUInt8(value);
        else if (w === 2) v.writeUInt16BE(value);
        else if (w === 4) v.writeUInt32BE(value);
        else v.writeBigUInt64BE(BigInt(value));
        parts.push(idBuf(id), v);
      }
    }
    if (ext) parts.push(Buffer.from([0, 0]));
  }
  parts.push(Buffer.from([records.length]));
  return Buffer.concat(parts);
}

/** The IMEI login frame: 2-byte length and the IMEI in ASCII. */
export function encodeImeiLogin(imei: string): Buffer {
  const b = Buffer.alloc(2 + imei.length);
  b.writeUInt16BE(imei.length, 0);
  b.write(imei, 2, 'latin1');
  return b;
}

/** A TCP AVL data packet: preamble, data field length, data, CRC-16/IBM. */
export function encodeTcpAvlPacket(records: readonly TeltonikaRecordInput[], codec: 0x08 | 0x8e = 0x08): Buffer {
  return wrapTcpAvlData(encodeAvlData(records, codec));
}

export function wrapTcpAvlData(data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 4);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc16Arc(data));
  return Buffer.concat([head, data, crc]);
}

/** A UDP AVL packet: channel header, AVL packet header with the IMEI, then the data. */
export function encodeUdpAvlPacket(imei: string, packetId: number, avlPacketId: number, records: readonly TeltonikaRecordInput[], codec: 0x08 | 0x8e = 0x08): Buffer {
  const data = encodeAvlData(records, codec);
  const head = Buffer.alloc(2 + 2 + 1 + 1 + 2 + imei.length);
  head.writeUInt16BE(head.length - 2 + data.length, 0);
  head.writeUInt16BE(packetId, 2);
  head.writeUInt8(0x01, 4);
  head.writeUInt8(avlPacketId, 5);
  head.writeUInt16BE(imei.length, 6);
  head.write(imei, 8, 'latin1');
  return Buffer.concat([head, data]);
}

/**
 * A Teltonika tracker over TCP, as the fleet simulator drives it: IMEI login, then AVL packets,
 * each answered by the server with the number of records it took.
 */
export class TeltonikaTcpClient {
  private readonly conn: ReplySocket;

  constructor(timeoutMs = 10_000) {
    this.conn = new ReplySocket(timeoutMs);
  }

  /** Connects and logs in; resolves true when the server answered 01, false for 00. */
  async connect(host: string, port: number, imei: string): Promise<boolean> {
    await this.conn.connect(host, port);
    const reply = await this.conn.request(encodeImeiLogin(imei), fixedLength(1));
    return reply[0] === 0x01;
  }

  /** Sends one AVL packet; resolves with the record count the server acknowledged. */
  async sendRecords(records: readonly TeltonikaRecordInput[], codec: 0x08 | 0x8e = 0x08): Promise<number> {
    return this.sendRaw(encodeTcpAvlPacket(records, codec));
  }

  async sendRaw(packet: Buffer): Promise<number> {
    const ack = await this.conn.request(packet, fixedLength(4));
    return ack.readUInt32BE(0);
  }

  close(): void {
    this.conn.close();
  }
}
