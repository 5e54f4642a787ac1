import { describe, expect, it } from 'vitest';
import { decodeGt06Packet, encodeGt06Reply, nextGt06Frame } from '../../gateways/gt06/decode.ts';
import type { Gt06FrameStep } from '../../gateways/gt06/framing.ts';
import { gt06ToPayload } from '../../gateways/gt06/to-position.ts';
import { encodeGt06Heartbeat, encodeGt06Location, encodeGt06Login, encodeGt06Packet } from '../../simulators/protocols/gt06.ts';

const hex = (h: string) => Buffer.from(h, 'hex');
function frame(step: Gt06FrameStep) {
  if (step.kind !== 'frame') throw new Error(`expected a frame, got ${JSON.stringify(step)}`);
  return step;
}

describe('GT06 framing and replies', () => {
  it('the protocol document\'s login 78780D01012345678901234500018CDD0D0A and its reply', () => {
    const f = frame(nextGt06Frame(hex('78780D01012345678901234500018CDD0D0A')));
    expect(f).toMatchObject({ protocol: 0x01, serial: 1, size: 18, long: false });
    expect(decodeGt06Packet(f.protocol, f.content)).toEqual({ type: 'login', imei: '123456789012345' });
    expect(encodeGt06Reply(0x01, 1).toString('hex').toUpperCase()).toBe('787805010001D9DC0D0A');
  });

  it('a real login (Traccar): IMEI 864717003283581, serial 9', () => {
    const f = frame(nextGt06Frame(hex('78780D01086471700328358100093F040D0A')));
    expect(decodeGt06Packet(f.protocol, f.content)).toEqual({ type: 'login', imei: '864717003283581' });
    expect(f.serial).toBe(9);
    expect(encodeGt06Login('864717003283581', 9).toString('hex').toUpperCase()).toBe('78780D01086471700328358100093F040D0A');
  });

  it('bad CRC, bad stop bytes, garbage and absurd long lengths', () => {
    const bad = hex('78780D01012345678901234500018CDE0D0A');
    expect(nextGt06Frame(bad)).toMatchObject({ kind: 'bad-crc', sent: 0x8cde, computed: 0x8cdd });
    expect(nextGt06Frame(hex('78780D01012345678901234500018CDD0D0B')).kind).toBe('invalid');
    expect(nextGt06Frame(hex('474554202F')).kind).toBe('invalid');
    expect(nextGt06Frame(hex('7979FFFF01')).kind).toBe('invalid');
    expect(nextGt06Frame(hex('78780D0101234567')).kind).toBe('incomplete');
    expect(nextGt06Frame(hex('787803')).kind).toBe('invalid');
  });

  it('a 0x7979 long packet is framed and checked', () => {
    const f = frame(nextGt06Frame(hex('79790008940000ed0289d6860d0a')));
    expect(f).toMatchObject({ protocol: 0x94, serial: 0x0289, long: true });
    expect(decodeGt06Packet(f.protocol, f.content)).toEqual({ type: 'unsupported', protocol: 0x94 });
  });
});

describe('GT06 location packets', () => {
  it('0x12 from the protocol document: every field', () => {
    const f = frame(nextGt06Frame(hex('78781F120B081D112E10CF027AC7EB0C46584900148F01CC00287D001FB8000380810D0A')));
    const p = decodeGt06Packet(f.protocol, f.content);
    expect(p.type).toBe('location');
    if (p.type !== 'location') return;
    expect(new Date(p.gps.ts).toISOString()).toBe('2011-08-29T17:46:16.000Z');
    // 0x027AC7EB / 30000 / 60 and 0x0C465849 / 30000 / 60, to 1e-7; course/status 0x148F.
    expect(p.gps).toMatchObject({ satellites: 15, lat: 23.1116683, lon: 114.409285, speedKmh: 0, courseDeg: 143, positioned: true });
    expect(f.serial).toBe(3);
    expect(encodeGt06Reply(0x12, 3).toString('hex').toUpperCase()).toBe('787805120003903F0D0A');
    expect(gt06ToPayload(p.gps, {})).toEqual({ ts: p.gps.ts, lat: 23.1116683, lon: 114.409285, speedKmh: 0, courseDeg: 143, satellites: 15, fix: true });
  });

  it('0x12 with trailing extension bytes (Traccar, India): serial taken from the end', () => {
    const f = frame(nextGt06Frame(hex('787821121303120b2524c70138e363085b549003d43301940057d200cd52c000006aa1ca0d0a')));
    const p = decodeGt06Packet(f.protocol, f.content);
    if (p.type !== 'location') throw new Error(p.type);
    expect(new Date(p.gps.ts).toISOString()).toBe('2019-03-18T11:37:36.000Z');
    expect(p.gps).toMatchObject({ satellites: 7, lat: 11.3919128, lon: 77.8906400, speedKmh: 3, courseDeg: 51, positioned: true });
    expect(f.serial).toBe(0x6a);
  });

  it('0x22 (Traccar): ACC off becomes ignition false and io 239 = 0', () => {
    const f = frame(nextGt06Frame(hex('787822220F0C1D023305C9027AC8180C46586000140001CC00287D001F71000001000820860D0A')));
    const p = decodeGt06Packet(f.protocol, f.content);
    if (p.type !== 'location') throw new Error(p.type);
    expect(new Date(p.gps.ts).toISOString()).toBe('2015-12-29T02:51:05.000Z');
    expect(p.gps).toMatchObject({ satellites: 9, lat: 23.1116933, lon: 114.4092978, speedKmh: 0, courseDeg: 0, positioned: true, acc: false });
    expect(f.serial).toBe(8);
    expect(gt06ToPayload(p.gps, { acc: p.gps.acc })).toMatchObject({ ignition: false, io: { '239': 0 } });
  });

  it('hemisphere flags: south and west are negative; no "positioned" bit means fix=false', () => {
    const bytes = encodeGt06Location({ ts: Date.UTC(2026, 1, 3, 4, 5, 6), lat: -34.6037, lon: -58.3816, speedKmh: 50, courseDeg: 270, satellites: 6, positioned: false, acc: true }, 77);
    const f = frame(nextGt06Frame(bytes));
    const p = decodeGt06Packet(f.protocol, f.content);
    if (p.type !== 'location') throw new Error(p.type);
    expect(p.gps).toMatchObject({ lat: -34.6037, lon: -58.3816, courseDeg: 270, positioned: false, acc: true });
    expect(gt06ToPayload(p.gps, { acc: true })).toMatchObject({ fix: false, ignition: true });
  });
});

describe('GT06 status packets', () => {
  it('0x16 GPS+LBS+status (Traccar): terminal info, voltage, GSM', () => {
    const f = frame(nextGt06Frame(hex('7878251613020C12141AC5027951430C2A16F60014000900000000001A00007C550300020002F1E70D0A')));
    const p = decodeGt06Packet(f.protocol, f.content);
    if (p.type !== 'gps-status') throw new Error(p.type);
    expect(new Date(p.gps.ts).toISOString()).toBe('2019-02-12T18:20:26.000Z');
    expect(p.gps).toMatchObject({ satellites: 5, speedKmh: 0, positioned: true });
    expect(p.status).toMatchObject({ acc: false, alarm: 7, gsmSignal: 3 });
  });

  it('0x13 heartbeat round trip and echo', () => {
    const f = frame(nextGt06Frame(encodeGt06Heartbeat(0x11, true)));
    expect(decodeGt06Packet(f.protocol, f.content)).toEqual({ type: 'heartbeat', status: { acc: true, gpsTracking: true, alarm: 0, voltageLevel: 4, gsmSignal: 3 } });
    // The protocol document's heartbeat answer for serial 0x0011.
    expect(encodeGt06Reply(0x13, 0x11).toString('hex').toUpperCase()).toBe('787805130011F9700D0A');
  });

  it('a truncated content is malformed, not a crash', () => {
    const f = frame(nextGt06Frame(encodeGt06Packet(0x12, Buffer.from([0x13, 0x03]), 1)));
    expect(decodeGt06Packet(f.protocol, f.content).type).toBe('malformed');
    const g = frame(nextGt06Frame(encodeGt06Packet(0x12, Buffer.from([0x13, 0x0d, 0x12, 0, 0, 0, 0xcf, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), 1)));
    expect(decodeGt06Packet(g.protocol, g.content)).toMatchObject({ type: 'malformed', reason: expect.stringContaining('19-13-18') });
  });
});
