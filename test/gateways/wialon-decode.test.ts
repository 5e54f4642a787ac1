import { describe, expect, it } from 'vitest';
import { toPositionMessage } from '../../gateways/common/position.ts';
import { decodeWialonPacket, nextWialonLine } from '../../gateways/wialon/decode.ts';
import type { WialonPacket } from '../../gateways/wialon/decode.ts';
import { parseCoordinate } from '../../gateways/wialon/fields.ts';
import { wialonRecordToPayload } from '../../gateways/wialon/to-position.ts';
import { formatCoordinate, wialonPackets } from '../../simulators/protocols/wialon.ts';

const NOW = Date.UTC(2026, 10, 26, 10, 0, 0);
const pkt = (s: string, v: '1.1' | '2.0' = '2.0'): WialonPacket => decodeWialonPacket(Buffer.from(s.replace(/\r\n$/, ''), 'utf8'), v, NOW);

function record(p: WialonPacket) {
  if ((p.type === 'data' || p.type === 'short-data') && p.outcome.ok) return p.outcome.record;
  throw new Error(`expected a record, got ${JSON.stringify(p)}`);
}
function code(p: WialonPacket) {
  if ((p.type === 'data' || p.type === 'short-data') && !p.outcome.ok) return p.outcome.code;
  throw new Error(`expected an error code, got ${JSON.stringify(p)}`);
}

describe('Wialon IPS login', () => {
  it('1.1: #L#imei;password', () => {
    expect(pkt('#L#353976013445485;NA', '1.1')).toEqual({ type: 'login', version: '1.1', unitId: '353976013445485', password: null });
  });
  it('2.0: #L#2.0;imei;password;crc16 with its checksum checked', () => {
    const good = wialonPackets.login('353976013445485', 'secret');
    expect(good).toMatch(/^#L#2\.0;353976013445485;secret;[0-9A-F]{4}\r\n$/);
    expect(pkt(good)).toEqual({ type: 'login', version: '2.0', unitId: '353976013445485', password: 'secret' });
    const bad = good.replace(/[0-9A-F]{4}\r\n$/, '0000\r\n');
    expect(pkt(bad)).toMatchObject({ type: 'login-error', code: '10' });
  });
  it('2.0 from a real unit: a 9-digit unit id, checksum 8A7 sent without its leading zero', () => {
    expect(pkt('#L#2.0;236010173;NA;8A7')).toEqual({ type: 'login', version: '2.0', unitId: '236010173', password: null });
    expect(pkt('#L#2.0;236010173;NA;8A8')).toMatchObject({ type: 'login-error', code: '10' });
  });
  it('unit ids of letters and digits, as units are configured ("IMEI, ID or serial number")', () => {
    expect(pkt('#L#BUS-0042_a.1;NA', '1.1')).toMatchObject({ type: 'login', unitId: 'BUS-0042_a.1' });
    expect(pkt(wialonPackets.login('SN:A7F3C901'))).toMatchObject({ type: 'login', unitId: 'SN:A7F3C901' });
  });
  it('refuses a unit id outside the rule, saying why', () => {
    for (const id of ['bus 42', 'автобус42', 'x'.repeat(65), 'a/b']) {
      const p = pkt(wialonPackets.login(id));
      expect(p, id).toMatchObject({ type: 'login-error', code: '0' });
      expect(p.type === 'login-error' && p.reason, id).toMatch(/unit id ".*" must be 1–64 characters of A–Z, a–z, 0–9, _ \. : -/);
    }
    expect(pkt('#L#;NA', '1.1')).toMatchObject({ type: 'login-error', code: '0', reason: 'no unit id in the login' });
  });
});

describe('Wialon IPS 2.0 data from real devices (Traccar WialonProtocolDecoderTest)', () => {
  it('#SD# with 2-digit longitude degrees and NA course/height/sats, checksum 7A01', () => {
    const r = record(pkt('#SD#300924;154245;5554.350052;N;3644.670410;E;2.92;NA;NA;NA;7A01'));
    expect(new Date(r.ts).toISOString()).toBe('2024-09-30T15:42:45.000Z');
    expect(r.lat).toBeCloseTo(55 + 54.350052 / 60, 7);
    expect(r.lon).toBeCloseTo(36 + 44.67041 / 60, 7);
    expect(r.speedKmh).toBe(2.92);
    expect(r.courseDeg).toBeUndefined();
    expect(r.altitudeM).toBeUndefined();
    expect(r.satellites).toBeUndefined();
  });

  it('#D# with params, checksum E7C9', () => {
    const r = record(pkt('#D#220323;114150;2234.80479;N;11354.87786;E;0;NA;59;11;NA;NA;NA;;NA;d_battr:1:94,d_csq:1:21,di_light:1:1;E7C9'));
    expect(new Date(r.ts).toISOString()).toBe('2023-03-22T11:41:50.000Z');
    expect(r.lat).toBe(22.5800798);
    expect(r.lon).toBe(113.9146310);
    expect(r).toMatchObject({ speedKmh: 0, altitudeM: 59, satellites: 11, params: { d_battr: 94, d_csq: 21, di_light: 1 } });
  });

  it('#D# with NA date/time/coordinates: receive time, fix=false at 0/0, checksum 626B', () => {
    const r = record(pkt('#D#120319;112003;NA;NA;NA;NA;0.000;NA;NA;0;NA;NA;NA;NA;NA;101_521347:1:521246,101_158:1:510,101_521055:1:510,101_521055_2.9:1:509,101_521056:1:3;626B'));
    expect(r.lat).toBeUndefined();
    const payload = wialonRecordToPayload(r);
    expect(payload).toMatchObject({ lat: 0, lon: 0, fix: false, speedKmh: 0, satellites: 0 });
    const nat = record(pkt(wialonPackets.data({ lat: 48.5, lon: 32.25, satellites: 9 })));
    expect(nat.ts).toBe(NOW);
  });

  it('a wrong checksum answers the spec\'s checksum code: #ASD#13 / #AD#16', () => {
    expect(code(pkt('#SD#300924;154245;5554.350052;N;3644.670410;E;2.92;NA;NA;NA;7A02'))).toBe('13');
    expect(code(pkt('#D#220323;114150;2234.80479;N;11354.87786;E;0;NA;59;11;NA;NA;NA;;NA;d_battr:1:94;E7C9'))).toBe('16');
  });
});

describe('Wialon IPS 1.1 packets and their error codes', () => {
  it('#SD# from the specification example: every field', () => {
    const r = record(pkt('#SD#270413;205601;5544.6025;N;03739.6834;E;1;2;3;4', '1.1'));
    expect(new Date(r.ts).toISOString()).toBe('2013-04-27T20:56:01.000Z');
    expect(r.lat).toBe(55.743375);
    expect(r.lon).toBe(37.6613900);
    expect([r.speedKmh, r.courseDeg, r.altitudeM, r.satellites]).toEqual([1, 2, 3, 4]);
    expect(wialonRecordToPayload(r)).toEqual({ ts: r.ts, lat: 55.743375, lon: 37.66139, fix: true, speedKmh: 1, courseDeg: 2, altitudeM: 3, satellites: 4 });
  });

  it('#D# with hdop, inputs, outputs, adc and typed params', () => {
    const r = record(pkt('#D#270413;205601;5544.6025;S;03739.6834;W;1;2;3;4;0.9;5;6;14.77,0.02,3.6;NA;count1:1:564,fuel:2:45.8,hw:3:V4.5,239:1:1', '1.1'));
    expect(r.lat).toBe(-55.743375);
    expect(r.lon).toBe(-37.66139);
    expect(r).toMatchObject({ hdop: 0.9, inputs: 5, outputs: 6, adc: [14.77, 0.02, 3.6], params: { count1: 564, fuel: 45.8, hw: 'V4.5', '239': 1 } });
    expect(wialonRecordToPayload(r).io).toEqual({ '239': 1 });
  });

  it.each([
    ['#SD#270413;205601;5544.6025;N;03739.6834;E;1;2;3', '-1'],
    ['#SD#320413;205601;5544.6025;N;03739.6834;E;1;2;3;4', '0'],
    ['#SD#270413;256001;5544.6025;N;03739.6834;E;1;2;3;4', '0'],
    ['#SD#270413;205601;5574.6025;N;03739.6834;E;1;2;3;4', '10'],
    ['#SD#270413;205601;5544.6025;X;03739.6834;E;1;2;3;4', '10'],
    ['#SD#270413;205601;5544.6025;N;03739.6834;E;fast;2;3;4', '11'],
    ['#SD#270413;205601;5544.6025;N;03739.6834;E;1;2;3;many', '12'],
  ])('%s → #ASD#%s', (line, expected) => {
    expect(code(pkt(line, '1.1'))).toBe(expected);
  });

  it.each([
    ['#D#270413;205601;5544.6025;N;03739.6834;E;1;2;3;4;x;0;0;NA;NA;NA', '12'],
    ['#D#270413;205601;5544.6025;N;03739.6834;E;1;2;3;4;1;in;0;NA;NA;NA', '13'],
    ['#D#270413;205601;5544.6025;N;03739.6834;E;1;2;3;4;1;0;0;1,a;NA;NA', '14'],
    ['#D#270413;205601;5544.6025;N;03739.6834;E;1;2;3;4;1;0;0;NA;NA;broken', '15'],
    ['#D#270413;205601;5544.6025;N;03739.6834;E;1;2;3;4;1;0;0;NA;NA;n:1:1.5', '15'],
  ])('%s → #AD#%s', (line, expected) => {
    expect(code(pkt(line, '1.1'))).toBe(expected);
  });

  it('a contract violation maps to its field\'s code (speed 500 km/h → 11)', () => {
    const r = record(pkt('#SD#270413;205601;5544.6025;N;03739.6834;E;500;2;3;4', '1.1'));
    const res = toPositionMessage('w1', wialonRecordToPayload(r), NOW);
    expect(res.ok).toBe(false);
    if (!res.ok) expect(res.paths[0]).toBe('speedKmh');
  });
});

describe('Wialon IPS black box and ping', () => {
  it('#B# (Traccar sample, 1.1): two records separated by |', () => {
    const p = pkt('#B#080914;073235;5027.50625;N;03026.19321;E;0.700;0.000;NA;4;NA;NA;NA;;NA;Батарея:3:100 %|080914;073420;5027.50845;N;03026.18854;E;1.996;292.540;NA;4;NA;NA;NA;;NA;Батарея:3:100 %', '1.1');
    expect(p.type).toBe('black-box');
    if (p.type !== 'black-box') return;
    expect(p.records).toHaveLength(2);
    const [a, b] = p.records.map((o) => (o.ok ? o.record : null));
    expect(new Date(a!.ts).toISOString()).toBe('2014-09-08T07:32:35.000Z');
    expect(a!.lat).toBe(50.4584375);
    expect(a!.lon).toBe(30.4365535);
    expect(b!.courseDeg).toBe(292.54);
    expect(b!.params['Батарея']).toBe('100 %');
  });

  it('#B# 2.0 with checksum; a bad checksum is its own outcome (#AB#)', () => {
    const text = wialonPackets.blackBox([
      { ts: Date.UTC(2026, 0, 1, 8), lat: 48.5, lon: 32.26, satellites: 8 },
      { ts: Date.UTC(2026, 0, 1, 7), lat: 48.51, lon: 32.27, satellites: 8 },
    ]);
    const p = pkt(text);
    expect(p.type === 'black-box' && p.records.every((o) => o.ok)).toBe(true);
    expect(pkt(text.replace(/[0-9A-F]{4}\r\n$/, 'FFFF')).type).toBe('black-box-crc-error');
  });

  it('#P# is a ping', () => {
    expect(pkt('#P#')).toEqual({ type: 'ping' });
  });

  it('framing: CR LF lines, bounded length', () => {
    expect(nextWialonLine(Buffer.from('#P#\r\n#P#'), 100)).toMatchObject({ kind: 'line', size: 5 });
    expect(nextWialonLine(Buffer.from('#P#'), 100)).toEqual({ kind: 'incomplete', scanned: 3 });
    expect(nextWialonLine(Buffer.from('#P#\r\n'), 100, 3)).toMatchObject({ kind: 'line', size: 5 });
    expect(nextWialonLine(Buffer.alloc(200, 0x41), 100)).toEqual({ kind: 'too-long' });
    expect(pkt('garbage').type).toBe('malformed');
    expect(pkt('#M#hello;1234').type).toBe('unsupported');
  });

  it('coordinates: simulator formatting round-trips to 1e-7', () => {
    for (const v of [48.5079123, -0.0000001, 89.9999999, 0]) expect(parseCoordinate(formatCoordinate(v, 'lat').split(';')[0], v < 0 ? 'S' : 'N', 'lat')).toBeCloseTo(v, 7);
    expect(parseCoordinate('18000.0000', 'E', 'lon')).toBe(180);
    expect(() => parseCoordinate('18000.0001', 'E', 'lon')).toThrow();
  });
});
