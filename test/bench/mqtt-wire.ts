/**
 * The few MQTT 3.1.1 packets the bench's load generator needs, encoded and parsed by hand.
 *
 * Why not mqtt.js: the generator runs on the same two cores as the system under test, so every
 * microsecond it spends per message is taken from the hub (or the peer). mqtt.js costs about
 * 26 µs of CPU per QoS 1 message (packet objects, streams, stores, timers); a client that only
 * ever sends CONNECT, QoS 1 PUBLISH, PINGREQ and DISCONNECT, and only reads CONNACK, PUBACK and
 * PINGRESP, can do it in a few µs. Nothing here touches a socket: generator.ts does that.
 *
 * Spec: MQTT 3.1.1 (OASIS), sections 2.2 (fixed header, remaining length) and 3 (packets).
 */

/** Packet types (first byte of the fixed header, with the flags the spec requires). */
export const CONNACK = 0x20;
export const PUBACK = 0x40;
export const PINGRESP = 0xd0;

export const PINGREQ_PACKET: Buffer = Buffer.from([0xc0, 0x00]);
export const DISCONNECT_PACKET: Buffer = Buffer.from([0xe0, 0x00]);

/** CONNACK return codes of MQTT 3.1.1 (3.2.2.3). */
export const CONNACK_RETURN_CODES: Record<number, string> = {
  0: 'accepted',
  1: 'unacceptable protocol version',
  2: 'identifier rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized',
};

/** The largest remaining length MQTT can express (four varint bytes). */
const MAX_REMAINING_LENGTH = 268_435_455;

/** Bytes the remaining-length varint of `n` takes. */
export function varintSize(n: number): number {
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x200000) return 3;
  if (n <= MAX_REMAINING_LENGTH) return 4;
  throw new RangeError(`MQTT remaining length ${n} is over ${MAX_REMAINING_LENGTH}`);
}

/** Writes the remaining-length varint of `n` at `offset`; returns the offset after it. */
function writeVarint(buf: Buffer, offset: number, n: number): number {
  let at = offset;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    buf[at++] = byte;
  } while (n > 0);
  return at;
}

export interface ConnectOptions {
  clientId: string;
  username: string;
  password: string;
  /** seconds; 0 turns keepalive off */
  keepalive: number;
}

/** CONNECT, protocol level 4 (3.1.1), clean session, user name and password, no will. */
export function encodeConnect(o: ConnectOptions): Buffer {
  const fields = [o.clientId, o.username, o.password].map((s) => Buffer.from(s, 'utf8'));
  for (const f of fields) if (f.length > 0xffff) throw new RangeError('CONNECT field over 65,535 bytes');
  // variable header: protocol name (2 + 4), level, flags, keepalive
  const remaining = 10 + fields.reduce((n, f) => n + 2 + f.length, 0);
  const buf = Buffer.allocUnsafe(1 + varintSize(remaining) + remaining);
  buf[0] = 0x10;
  let at = writeVarint(buf, 1, remaining);
  at = buf.writeUInt16BE(4, at);
  at += buf.write('MQTT', at, 'latin1');
  buf[at++] = 4; // protocol level: 3.1.1
  buf[at++] = 0x80 | 0x40 | 0x02; // user name, password, clean session
  at = buf.writeUInt16BE(o.keepalive, at);
  for (const f of fields) {
    at = buf.writeUInt16BE(f.length, at);
    at += f.copy(buf, at);
  }
  return buf;
}

/**
 * QoS 1 PUBLISH packets to one topic: the topic is encoded once, and each message is one Buffer
 * (fixed header 0x32: PUBLISH, QoS 1, no DUP, no RETAIN).
 */
export class PublishEncoder {
  private readonly topic: Buffer;

  constructor(topic: string) {
    this.topic = Buffer.from(topic, 'utf8');
    if (this.topic.length > 0xffff) throw new RangeError('MQTT topic over 65,535 bytes');
  }

  /**
   * `payload` is written as latin1, one byte per character: it must be ASCII (or latin1) text,
   * as the bench's JSON positions are. That avoids measuring the string twice for UTF-8.
   */
  encode(packetId: number, payload: string): Buffer {
    const topicLen = this.topic.length;
    const remaining = 2 + topicLen + 2 + payload.length;
    const buf = Buffer.allocUnsafe(1 + varintSize(remaining) + remaining);
    buf[0] = 0x32;
    let at = writeVarint(buf, 1, remaining);
    buf[at++] = topicLen >> 8;
    buf[at++] = topicLen & 0xff;
    at += this.topic.copy(buf, at);
    buf[at++] = packetId >> 8;
    buf[at++] = packetId & 0xff;
    buf.write(payload, at, 'latin1');
    return buf;
  }
}

/** What the broker sends that the generator cares about. */
export interface BrokerPacketHandler {
  connack(returnCode: number, sessionPresent: boolean): void;
  puback(packetId: number): void;
  pingresp(): void;
}

/**
 * The remaining length of the packet whose fixed header starts at `pos` (1 to 4 bytes, 7 bits
 * each, least significant first) and where its body starts; undefined while not all of it has
 * arrived. Throws on a malformed length.
 */
function remainingLength(buf: Buffer, pos: number, end: number): { remaining: number; at: number } | undefined {
  let remaining = 0;
  let multiplier = 1;
  let at = pos + 1;
  for (let i = 0; i < 4 && at < end; i++) {
    const byte = buf[at++]!;
    remaining += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) return { remaining, at };
    multiplier *= 128;
  }
  if (at - pos - 1 >= 4) throw new Error('MQTT: malformed remaining length');
  return undefined;
}

/**
 * Incremental parser of the broker → client byte stream: feed it every chunk the socket gives.
 * Packets may be split anywhere across chunks, and one chunk may hold many packets. CONNACK,
 * PUBACK and PINGRESP go to the handler; any other packet is skipped by its remaining length
 * without being buffered. Throws on a malformed stream (the connection is then beyond saving).
 */
export class BrokerPacketParser {
  /** the start of a packet whose header or body has not fully arrived (a copy) */
  private partial: Buffer | undefined;
  /** bytes of a skipped packet still to come */
  private skip = 0;

  constructor(private readonly handler: BrokerPacketHandler) {}

  push(chunk: Buffer): void {
    let buf = chunk;
    let pos = 0;
    if (this.skip > 0) {
      pos = Math.min(this.skip, buf.length);
      this.skip -= pos;
    }
    if (this.partial) {
      buf = Buffer.concat([this.partial, buf.subarray(pos)]);
      pos = 0;
      this.partial = undefined;
    }
    const end = buf.length;
    while (pos < end) {
      const type = buf[pos]!;
      const header = remainingLength(buf, pos, end);
      if (!header) {
        this.partial = Buffer.from(buf.subarray(pos));
        return;
      }
      const { remaining, at } = header;
      const packetEnd = at + remaining;
      if (type !== PUBACK && type !== CONNACK && type !== PINGRESP) {
        if (packetEnd > end) {
          this.skip = packetEnd - end;
          return;
        }
        pos = packetEnd;
        continue;
      }
      if (packetEnd > end) {
        this.partial = Buffer.from(buf.subarray(pos));
        return;
      }
      pos = packetEnd;
      if (type === PUBACK) {
        if (remaining !== 2) throw new Error(`MQTT: PUBACK with remaining length ${remaining}`);
        this.handler.puback((buf[at]! << 8) | buf[at + 1]!);
      } else if (type === CONNACK) {
        if (remaining !== 2) throw new Error(`MQTT: CONNACK with remaining length ${remaining}`);
        this.handler.connack(buf[at + 1]!, (buf[at]! & 0x01) === 1);
      } else {
        if (remaining !== 0) throw new Error(`MQTT: PINGRESP with remaining length ${remaining}`);
        this.handler.pingresp();
      }
    }
  }
}

/** SUBSCRIBE to one topic filter at QoS 1 (3.8; fixed header 0x82). */
export function encodeSubscribe(packetId: number, topic: string): Buffer {
  const t = Buffer.from(topic, 'utf8');
  const remaining = 2 + 2 + t.length + 1;
  const buf = Buffer.allocUnsafe(1 + varintSize(remaining) + remaining);
  buf[0] = 0x82;
  let at = writeVarint(buf, 1, remaining);
  buf[at++] = packetId >> 8;
  buf[at++] = packetId & 0xff;
  at = buf.writeUInt16BE(t.length, at);
  at += t.copy(buf, at);
  buf[at] = 1;
  return buf;
}

/** PUBACK of a QoS 1 PUBLISH the broker sent (3.4). */
export function encodePuback(packetId: number): Buffer {
  return Buffer.from([PUBACK, 0x02, packetId >> 8, packetId & 0xff]);
}

/** Every whole packet of the broker → client stream, header byte and body: feed it each chunk. */
export class PacketSplitter {
  private pending: Buffer | undefined;

  constructor(private readonly onPacket: (header: number, body: Buffer) => void) {}

  push(chunk: Buffer): void {
    const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = undefined;
    let pos = 0;
    while (pos < buf.length) {
      const header = remainingLength(buf, pos, buf.length);
      if (!header) break;
      const { remaining, at } = header;
      if (at + remaining > buf.length) break;
      this.onPacket(buf[pos]!, buf.subarray(at, at + remaining));
      pos = at + remaining;
    }
    if (pos < buf.length) this.pending = Buffer.from(buf.subarray(pos));
  }
}

/** A PUBLISH's topic, packet id (0 at QoS 0) and payload, from its header byte and body (3.3). */
export function decodePublish(header: number, body: Buffer): { topic: string; packetId: number; payload: Buffer } {
  const topicLen = (body[0]! << 8) | body[1]!;
  const topic = body.toString('utf8', 2, 2 + topicLen);
  const qos = (header >> 1) & 0x03;
  let at = 2 + topicLen;
  let packetId = 0;
  if (qos > 0) {
    packetId = (body[at]! << 8) | body[at + 1]!;
    at += 2;
  }
  return { topic, packetId, payload: body.subarray(at) };
}
