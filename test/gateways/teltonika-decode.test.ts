import { describe, expect, it } from 'vitest';
import { PositionPayload } from '../../services/contracts/index.ts';
import { crc16Arc } from '../../gateways/common/crc.ts';
import { toPositionMessage } from '../../gateways/common/position.ts';
import { decodeTeltonikaTcp, decodeUdpPacket, encodeTcpAck, encodeUdpAck, LOGIN_ACCEPTED, LOGIN_REFUSED } from '../../gateways/teltonika/decode.ts';
import type { DecodeStep } from '../../gateways/teltonika/decode.ts';
import { teltonikaRecordToPayload } from '../../gateways/teltonika/to-position.ts';
import { encodeImeiLogin, encodeTcpAvlPacket, encodeUdpAvlPacket } from '../../simulators/protocols/teltonika.ts';

const hex = (h: string) => Buffer.from(h, 'hex');
const MAX = 64 * 1024;

function avl(d: DecodeStep) {
  if (d.kind !== 'avl') throw new Error(`expected avl, got ${JSON.stringify(d)}`);
  return d;
}

// Teltonika wiki "Codec", section "Codec 8" → "Example 1/2/3", "Codec 8 Extended" → "Example",
// "Codec 8 … over UDP" → "Example"; the frames below are copied byte for byte from there.
const WIKI_C8_EX1 = '000000000000003608010000016B40D8EA30010000000000000000000000000000000105021503010101425E0F01F10000601A014E0000000000000000010000C7CF';
const WIKI_C8_EX2 = '000000000000002808010000016B40D9AD80010000000000000000000000000000000103021503010101425E100000010000F22A';
const WIKI_C8_EX3 = '000000000000004308020000016B40D57B480100000000000000000000000000000001010101000000000000016B40D5C198010000000000000000000000000000000101010101000000020000252C';
const WIKI_C8E = '000000000000004A8E010000016B412CEE000100000000000000000000000000000000010005000100010100010011001D00010010015E2C880002000B000000003544C87A000E000000001DD7E06A00000100002994';
const WIKI_UDP = '003DCAFE0105000F33353230393330383634303336353508010000016B4F815B30010000000000000000000000000000000103021503010101425DBC000001';
// Real device frames from Traccar's TeltonikaProtocolDecoderTest (with a GPS fix).
const TRACCAR_C8_FIX = '000000000000004c08010000016818d500580009c28d9f1cb3757a00be00c60f0053000f06f0011503c80001011d00fc0007423799180053cdf80dce426f430f88190bb8560bb802f100005aa110002887e000010000ee8d';
const TRACCAR_C8E_NX = '00000000000000a38e0100000178b11c9e1000040bbbc91f03190c002100e113001300000010000600ef0100f00100150300c800004501001e070005004237e00018000a00ce166200430f970024059f000300f10000665900c70000001e00100000a1b500000002010000115756315a5a5a32455a38363031353338380119002950303239392c50303637352c50303637342c50303637322c50303637312c50303437312c50324241430100001ad8';

describe('Teltonika IMEI login', () => {
  it('decodes the wiki login 000F333536333037303432343431303133 and answers 01 / 00', () => {
    const d = decodeTeltonikaTcp(hex('000F333536333037303432343431303133'), 'awaiting-imei', MAX);
    expect(d).toEqual({ kind: 'login', imei: '356307042441013', size: 17 });
    expect(LOGIN_ACCEPTED.toString('hex')).toBe('01');
    expect(LOGIN_REFUSED.toString('hex')).toBe('00');
  });
  it('waits for a split login and refuses absurd lengths', () => {
    expect(decodeTeltonikaTcp(hex('000F3335'), 'awaiting-imei', MAX)).toEqual({ kind: 'incomplete' });
    expect(decodeTeltonikaTcp(hex('FFFF3335'), 'awaiting-imei', MAX).kind).toBe('invalid');
    expect(decodeTeltonikaTcp(hex('00024142'), 'awaiting-imei', MAX).kind).toBe('invalid');
  });
});

describe('Teltonika Codec 8 over TCP (wiki examples)', () => {
  it('example 1: every field, IO values and the 4-byte ACK', () => {
    const d = avl(decodeTeltonikaTcp(hex(WIKI_C8_EX1), 'logged-in', MAX));
    expect(d.codec).toBe(0x08);
    expect(d.size).toBe(hex(WIKI_C8_EX1).length);
    expect(d.records).toHaveLength(1);
    const r = d.records[0]!;
    expect(new Date(r.timestamp).toISOString()).toBe('2019-06-10T10:04:46.000Z');
    expect(r.timestamp).toBe(1560161086000);
    expect(r.priority).toBe(1);
    expect(r.lat).toBe(0);
    expect(r.lon).toBe(0);
    expect(r.altitude).toBe(0);
    expect(r.angle).toBe(0);
    expect(r.satellites).toBe(0);
    expect(r.speed).toBe(0);
    expect(r.eventIoId).toBe(1);
    expect(Object.fromEntries(r.io)).toEqual({ 21: 3, 1: 1, 66: 0x5e0f, 241: 0x601a, 78: 0 });
    expect(encodeTcpAck(d.records.length).toString('hex')).toBe('00000001');
  });

  it('example 2: one record, IO 21=3, 1=1, 66=24080', () => {
    const r = avl(decodeTeltonikaTcp(hex(WIKI_C8_EX2), 'logged-in', MAX)).records[0]!;
    expect(new Date(r.timestamp).toISOString()).toBe('2019-06-10T10:05:36.000Z');
    expect(Object.fromEntries(r.io)).toEqual({ 21: 3, 1: 1, 66: 24080 });
  });

  it('example 3: two records, ACK 00000002', () => {
    const d = avl(decodeTeltonikaTcp(hex(WIKI_C8_EX3), 'logged-in', MAX));
    expect(d.records.map((r) => new Date(r.timestamp).toISOString())).toEqual(['2019-06-10T10:01:01.000Z', '2019-06-10T10:01:19.000Z']);
    expect(d.records.map((r) => r.io.get(1))).toEqual([0, 1]);
    expect(encodeTcpAck(d.records.length).toString('hex')).toBe('00000002');
  });

  it('a real frame with a fix: coordinates to 1e-7, speed, course, altitude, satellites, IO', () => {
    const r = avl(decodeTeltonikaTcp(hex(TRACCAR_C8_FIX), 'logged-in', MAX)).records[0]!;
    expect(new Date(r.timestamp).toISOString()).toBe('2019-01-04T12:27:19.000Z');
    expect(r.lon).toBe(16.3745183);
    expect(r.lat).toBe(48.1523066);
    expect(r.altitude).toBe(190);
    expect(r.angle).toBe(198);
    expect(r.satellites).toBe(15);
    expect(r.speed).toBe(83);
    expect(Object.fromEntries(r.io)).toEqual({
      240: 1, 21: 3, 200: 0, 1: 1, 29: 0, 252: 0,
      66: 14233, 24: 83, 205: 63501, 206: 17007, 67: 3976, 25: 3000, 86: 3000,
      241: 23201, 16: 2656224,
    });
    const payload = teltonikaRecordToPayload(r);
    expect(payload).toEqual({
      ts: 1546604839000, lat: 48.1523066, lon: 16.3745183, speedKmh: 83, courseDeg: 198, altitudeM: 190, satellites: 15, fix: true,
      odometerKm: 2656.224,
      io: { '1': 1, '16': 2656224, '21': 3, '24': 83, '25': 3000, '29': 0, '66': 14233, '67': 3976, '86': 3000, '200': 0, '205': 63501, '206': 17007, '240': 1, '241': 23201, '252': 0 },
    });
    expect(PositionPayload.safeParse(payload).success).toBe(true);
  });

  it('negative coordinates are two\'s complement int32 / 1e7', () => {
    const frame = encodeTcpAvlPacket([{ ts: Date.UTC(2024, 0, 1), lat: -33.8688197, lon: -151.2092955, satellites: 9 }]);
    const r = avl(decodeTeltonikaTcp(frame, 'logged-in', MAX)).records[0]!;
    expect(r.lat).toBe(-33.8688197);
    expect(r.lon).toBe(-151.2092955);
  });

  it('a wiki record without fix becomes fix=false with its IO kept by id', () => {
    const r = avl(decodeTeltonikaTcp(hex(WIKI_C8_EX1), 'logged-in', MAX)).records[0]!;
    const res = toPositionMessage('trk-1', teltonikaRecordToPayload(r), Date.UTC(2026, 0, 1));
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(res.message).toEqual({
      channel: 'position', deviceId: 'trk-1', ts: 1560161086000,
      payload: { ts: 1560161086000, lat: 0, lon: 0, speedKmh: 0, courseDeg: 0, altitudeM: 0, satellites: 0, fix: false, io: { '1': 1, '21': 3, '66': 24079, '78': 0, '241': 24602 } },
    });
  });

  it('ignition (239) becomes ignition, HDOP (182) hdop', () => {
    const frame = encodeTcpAvlPacket([{ ts: Date.UTC(2024, 5, 1), lat: 48.5, lon: 32.26, satellites: 7, io: { 239: 1, 240: 1, 182: 12, 16: 123456 } }]);
    const p = teltonikaRecordToPayload(avl(decodeTeltonikaTcp(frame, 'logged-in', MAX)).records[0]!);
    expect(p).toMatchObject({ ignition: true, hdop: 1.2, odometerKm: 123.456, io: { '239': 1, '240': 1, '182': 12, '16': 123456 } });
  });
});

describe('Teltonika Codec 8 Extended', () => {
  it('the wiki example: 2-byte IO ids, N1/N2/N4/N8 values', () => {
    const d = avl(decodeTeltonikaTcp(hex(WIKI_C8E), 'logged-in', MAX));
    expect(d.codec).toBe(0x8e);
    const r = d.records[0]!;
    expect(new Date(r.timestamp).toISOString()).toBe('2019-06-10T11:36:32.000Z');
    expect(r.priority).toBe(1);
    expect(r.eventIoId).toBe(1);
    expect(Object.fromEntries(r.io)).toEqual({ 1: 1, 17: 0x1d, 16: 0x015e2c88, 11: 0x3544c87a, 14: 0x1dd7e06a });
    expect(encodeTcpAck(d.records.length).toString('hex')).toBe('00000001');
  });

  it('a real frame with NX (variable-length) elements', () => {
    const r = avl(decodeTeltonikaTcp(hex(TRACCAR_C8E_NX), 'logged-in', MAX)).records[0]!;
    expect(new Date(r.timestamp).toISOString()).toBe('2021-04-08T10:52:26.000Z');
    expect(r.lat).toBe(52.0296716);
    expect(r.lon).toBe(6.7877833);
    expect([r.altitude, r.angle, r.satellites, r.speed]).toEqual([33, 225, 19, 19]);
    expect(r.io.get(239)).toBe(1);
    expect(r.ioX.get(256)?.toString('latin1')).toBe('WV1ZZZ2EZ86015388');
    expect(teltonikaRecordToPayload(r).ignition).toBe(true);
  });
});

describe('Teltonika over UDP', () => {
  it('decodes the wiki UDP example and builds the exact ACK 0005CAFE010501', () => {
    const d = decodeUdpPacket(hex(WIKI_UDP));
    expect(d.kind).toBe('avl');
    if (d.kind !== 'avl') return;
    expect(d.packetId).toBe(0xcafe);
    expect(d.avlPacketId).toBe(0x05);
    expect(d.imei).toBe('352093086403655');
    expect(d.records).toHaveLength(1);
    const r = d.records[0]!;
    expect(new Date(r.timestamp).toISOString()).toBe('2019-06-13T06:23:26.000Z');
    expect(Object.fromEntries(r.io)).toEqual({ 21: 3, 1: 1, 66: 0x5dbc });
    expect(encodeUdpAck(d.packetId, d.avlPacketId, d.records.length).toString('hex').toUpperCase()).toBe('0005CAFE010501');
  });
  it('refuses a length mismatch', () => {
    expect(decodeUdpPacket(hex(WIKI_UDP).subarray(0, 40)).kind).toBe('invalid');
  });
  it('round-trips the simulator encoder', () => {
    const d = decodeUdpPacket(encodeUdpAvlPacket('352093086403655', 7, 9, [{ ts: 1_700_000_000_123, lat: 48.5079, lon: 32.2623, speedKmh: 40, satellites: 11 }]));
    expect(d.kind === 'avl' && d.records[0]!.timestamp).toBe(1_700_000_000_123);
  });
});

describe('Teltonika hostile frames', () => {
  it('bad CRC is reported with both values', () => {
    const bad = hex(WIKI_C8_EX1);
    bad.writeUInt8(bad.readUInt8(bad.length - 1) ^ 0xff, bad.length - 1);
    expect(decodeTeltonikaTcp(bad, 'logged-in', MAX)).toMatchObject({ kind: 'bad-crc', sent: 0xc730, computed: 0xc7cf });
  });
  it('a 2 GB data length is invalid at once, without waiting for the bytes', () => {
    expect(decodeTeltonikaTcp(hex('000000007FFFFFFF08'), 'logged-in', MAX).kind).toBe('invalid');
  });
  it('a non-zero preamble is invalid; a truncated frame is incomplete', () => {
    expect(decodeTeltonikaTcp(hex('01'), 'logged-in', MAX).kind).toBe('invalid');
    expect(decodeTeltonikaTcp(hex(WIKI_C8_EX1).subarray(0, 30), 'logged-in', MAX)).toEqual({ kind: 'incomplete' });
  });
  it('a record count that overruns the data is malformed, not a crash', () => {
    const data = hex('0805' + '00'.repeat(10) + '05');
    const frame = Buffer.concat([hex('00000000'), Buffer.from([0, 0, 0, data.length]), data, Buffer.alloc(4)]);
    const fixed = encodeWithCrc(frame);
    expect(decodeTeltonikaTcp(fixed, 'logged-in', MAX).kind).toBe('malformed');
  });
  it('the IMEI login frame encoder matches the wiki bytes', () => {
    expect(encodeImeiLogin('356307042441013').toString('hex').toUpperCase()).toBe('000F333536333037303432343431303133');
  });
});

function encodeWithCrc(frame: Buffer): Buffer {
  const len = frame.readUInt32BE(4);
  frame.writeUInt32BE(crc16Arc(frame, 8, 8 + len), 8 + len);
  return frame;
}
