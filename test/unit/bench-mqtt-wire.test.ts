import mqttPacket, { type Packet } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import {
  BrokerPacketParser, DISCONNECT_PACKET, PINGREQ_PACKET, PublishEncoder, encodeConnect, varintSize, type BrokerPacketHandler,
} from '../../test/bench/mqtt-wire.ts';

/** Every packet mqtt-packet's parser finds in `buf`. */
function decode(buf: Buffer): Packet[] {
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const out: Packet[] = [];
  parser.on('packet', (p) => out.push(p));
  parser.on('error', (err) => {
    throw err;
  });
  parser.parse(buf);
  return out;
}

function recorder(): { handler: BrokerPacketHandler; events: string[] } {
  const events: string[] = [];
  return {
    events,
    handler: {
      connack: (rc, sp) => events.push(`connack ${rc} ${sp}`),
      puback: (id) => events.push(`puback ${id}`),
      pingresp: () => events.push('pingresp'),
    },
  };
}

describe('bench MQTT wire: encoding', () => {
  it('encodes CONNECT as MQTT 3.1.1 with clean session, keepalive and credentials', () => {
    const buf = encodeConnect({ clientId: 'bench0-bench-trk-7', username: 'bench-trk-7', password: 's3cr€t', keepalive: 60 });
    const [p, ...rest] = decode(buf);
    expect(rest).toEqual([]);
    expect(p).toMatchObject({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, keepalive: 60, clientId: 'bench0-bench-trk-7', username: 'bench-trk-7' });
    expect((p as { password?: Buffer }).password?.toString('utf8')).toBe('s3cr€t');
  });

  it('encodes QoS 1 PUBLISH byte for byte as mqtt-packet does, for 1-, 2- and 3-byte remaining lengths', () => {
    const topic = 'v1/transit/bench-trk-12/position';
    const enc = new PublishEncoder(topic);
    for (const size of [0, 10, 100, 127 - 4 - topic.length, 128 - 4 - topic.length, 300, 16_383 - 4 - topic.length, 16_384 - 4 - topic.length, 40_000]) {
      for (const id of [1, 255, 256, 65_535]) {
        const payload = 'x{"ts":1,"lat":48.450000}'.repeat(Math.ceil(size / 25) + 1).slice(0, size);
        const buf = enc.encode(id, payload);
        const remaining = 4 + topic.length + size;
        expect(buf.length).toBe(1 + varintSize(remaining) + remaining);
        const [p, ...rest] = decode(buf);
        expect(rest).toEqual([]);
        expect(p).toMatchObject({ cmd: 'publish', topic, qos: 1, messageId: id, dup: false, retain: false });
        expect((p as { payload: Buffer }).payload.toString('latin1')).toBe(payload);
        expect(buf.equals(mqttPacket.generate({ cmd: 'publish', topic, payload: Buffer.from(payload, 'latin1'), qos: 1, messageId: id, dup: false, retain: false }))).toBe(true);
      }
    }
    expect([varintSize(127), varintSize(128), varintSize(16_383), varintSize(16_384), varintSize(2_097_151), varintSize(2_097_152)]).toEqual([1, 2, 2, 3, 3, 4]);
  });

  it('has PINGREQ and DISCONNECT as mqtt-packet has them', () => {
    expect(PINGREQ_PACKET.equals(mqttPacket.generate({ cmd: 'pingreq' }))).toBe(true);
    expect(DISCONNECT_PACKET.equals(mqttPacket.generate({ cmd: 'disconnect' }))).toBe(true);
  });
});

describe('bench MQTT wire: parsing what the broker sends', () => {
  const packets: Packet[] = [
    { cmd: 'connack', returnCode: 0, sessionPresent: false },
    { cmd: 'puback', messageId: 1 },
    { cmd: 'puback', messageId: 300 },
    // not for the generator: skipped by length, one of them long enough to span many chunks
    { cmd: 'publish', topic: 'a/b', payload: Buffer.alloc(20_000, 0x61), qos: 1, messageId: 9, dup: false, retain: false },
    { cmd: 'suback', messageId: 4, granted: [1] },
    { cmd: 'pingresp' },
    { cmd: 'publish', topic: 'c', payload: Buffer.from('hi'), qos: 0, dup: false, retain: false },
    { cmd: 'puback', messageId: 65_535 },
  ];
  const stream = Buffer.concat(packets.map((p) => mqttPacket.generate(p)));
  const expected = ['connack 0 false', 'puback 1', 'puback 300', 'pingresp', 'puback 65535'];

  it('reads many packets from one chunk', () => {
    const { handler, events } = recorder();
    new BrokerPacketParser(handler).push(stream);
    expect(events).toEqual(expected);
  });

  it('reads the stream split in two at every byte offset', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const { handler, events } = recorder();
      const parser = new BrokerPacketParser(handler);
      parser.push(stream.subarray(0, cut));
      parser.push(stream.subarray(cut));
      expect(events, `cut at ${cut}`).toEqual(expected);
    }
  });

  it('reads the stream one byte at a time, and in uneven chunks', () => {
    for (const step of [1, 2, 3, 7, 1000]) {
      const { handler, events } = recorder();
      const parser = new BrokerPacketParser(handler);
      for (let at = 0; at < stream.length; at += step) parser.push(stream.subarray(at, at + step));
      expect(events, `chunks of ${step}`).toEqual(expected);
    }
  });

  it('reports a refused connection and a session present', () => {
    const { handler, events } = recorder();
    const parser = new BrokerPacketParser(handler);
    parser.push(mqttPacket.generate({ cmd: 'connack', returnCode: 5, sessionPresent: false }));
    parser.push(mqttPacket.generate({ cmd: 'connack', returnCode: 0, sessionPresent: true }));
    expect(events).toEqual(['connack 5 false', 'connack 0 true']);
  });

  it('throws on a malformed stream', () => {
    const { handler } = recorder();
    expect(() => new BrokerPacketParser(handler).push(Buffer.from([0x40, 0xff, 0xff, 0xff, 0xff, 0x01]))).toThrow(/remaining length/);
    expect(() => new BrokerPacketParser(handler).push(Buffer.from([0x40, 0x03, 0, 1, 2]))).toThrow(/PUBACK/);
  });
});
