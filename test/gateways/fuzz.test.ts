import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc16Arc, crc16Wialon, crc16X25 } from '../../gateways/common/crc.ts';
import { FrameBuffer } from '../../gateways/common/frame-buffer.ts';
import { toPositionMessage } from '../../gateways/common/position.ts';
import { decodeGt06Packet, nextGt06Frame } from '../../gateways/gt06/decode.ts';
import { gt06ToPayload } from '../../gateways/gt06/to-position.ts';
import { decodeTeltonikaTcp, decodeUdpPacket } from '../../gateways/teltonika/decode.ts';
import type { TeltonikaStreamState } from '../../gateways/teltonika/decode.ts';
import { teltonikaRecordToPayload } from '../../gateways/teltonika/to-position.ts';
import { decodeWialonPacket, nextWialonLine } from '../../gateways/wialon/decode.ts';
import { wialonRecordToPayload } from '../../gateways/wialon/to-position.ts';
import { encodeGt06Heartbeat, encodeGt06Location, encodeGt06Login, encodeGt06Packet } from '../../simulators/protocols/gt06.ts';
import { encodeImeiLogin, encodeTcpAvlPacket, encodeUdpAvlPacket } from '../../simulators/protocols/teltonika.ts';
import { wialonPackets } from '../../simulators/protocols/wialon.ts';

/**
 * Property-based fuzzing of the pure decoders, run through the same loop the servers use: a
 * bounded buffer fed in random chunks, frames cut off the front until the decoder waits or
 * gives up. Asserts: no throw, progress on every step, the buffer never exceeds its bound.
 */

const RUNS = 100_000;
const MAX_FRAME = 64 * 1024;
const NOW = Date.UTC(2026, 10, 26);

type Mutation =
  | { kind: 'flip'; pos: number; bit: number }
  | { kind: 'set'; pos: number; value: number }
  | { kind: 'truncate'; pos: number }
  | { kind: 'insert'; pos: number; bytes: Uint8Array }
  | { kind: 'u32'; pos: number; value: number }
  | { kind: 'repeat' };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), pos: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), pos: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), pos: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), pos: fc.nat(), bytes: fc.uint8Array({ maxLength: 8 }) }),
  fc.record({ kind: fc.constant('u32' as const), pos: fc.nat(), value: fc.oneof(fc.constant(0x7fffffff), fc.constant(0xffffffff), fc.integer({ min: 0, max: 0xffffffff })) }),
  fc.record({ kind: fc.constant('repeat' as const) }),
);

function mutate(seed: Buffer, ms: readonly Mutation[]): Buffer {
  let b = Buffer.from(seed);
  for (const m of ms) {
    if (b.length === 0) break;
    const at = m.kind === 'repeat' ? 0 : m.pos % b.length;
    switch (m.kind) {
      case 'flip':
        b[at] = (b[at] ?? 0) ^ (1 << m.bit);
        break;
      case 'set':
        b[at] = m.value;
        break;
      case 'truncate':
        b = b.subarray(0, at);
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), m.bytes, b.subarray(at)]);
        break;
      case 'u32':
        if (at + 4 <= b.length) b.writeUInt32BE(m.value >>> 0, at);
        break;
      case 'repeat':
        b = Buffer.concat([b, b]);
        break;
    }
  }
  return b;
}

/** Frames: random bytes, or a valid seed with up to 4 mutations (optionally with the checksum repaired, to reach the parsers behind it). */
function frames(seeds: Buffer[], repair: (b: Buffer) => Buffer) {
  return fc.oneof(
    { weight: 5, arbitrary: fc.uint8Array({ maxLength: 600 }).map((u) => Buffer.from(u)) },
    // Floods past the 64 KiB bound: the buffer must refuse them, not grow.
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...seeds), fc.integer({ min: 60_000, max: 70_000 }), fc.integer({ min: 0, max: 255 })).map(([seed, n, v]) => Buffer.concat([seed.subarray(0, 12), Buffer.alloc(n, v)])) },
    {
      weight: 14,
      arbitrary: fc.tuple(fc.constantFrom(...seeds), fc.array(mutation, { maxLength: 4 }), fc.boolean()).map(([seed, ms, fix]) => {
        const m = mutate(seed, ms);
        return fix ? repair(m) : m;
      }),
    },
  );
}

const chunking = fc.array(fc.oneof(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1000, max: 20_000 })), { minLength: 1, maxLength: 8 });

class Stats {
  frames = 0;
  positions = 0;
  peakHeap = 0;
  peakBuffer = 0;
  sample(): void {
    if (this.frames % 2000 === 0) this.peakHeap = Math.max(this.peakHeap, process.memoryUsage().heapUsed);
  }
  report(protocol: string, started: number): void {
    this.peakHeap = Math.max(this.peakHeap, process.memoryUsage().heapUsed);
    console.log(
      `[fuzz] ${protocol}: ${this.frames} frames (${this.positions} decoded positions), 0 crashes, peak heap ${(this.peakHeap / 1048576).toFixed(1)} MiB, ` +
        `largest connection buffer ${this.peakBuffer} B (bound ${MAX_FRAME} B), ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  }
}

/** Feeds `bytes` in chunks; `step` consumes one frame or returns 0 to wait / -1 to close. */
function drive(bytes: Buffer, chunks: number[], stats: Stats, step: (buf: FrameBuffer) => number): void {
  const buf = new FrameBuffer(MAX_FRAME);
  let off = 0;
  let i = 0;
  while (off < bytes.length) {
    const n = chunks[i++ % chunks.length] ?? 1;
    if (!buf.push(bytes.subarray(off, off + n))) return;
    off += n;
    stats.peakBuffer = Math.max(stats.peakBuffer, buf.capacity);
    // Plain checks, not expect(): this loop runs millions of times.
    if (buf.length > MAX_FRAME || buf.capacity > MAX_FRAME) throw new Error(`buffer holds ${buf.length} B in ${buf.capacity} B`);
    for (let guard = 0; ; guard++) {
      if (guard > 10_000) throw new Error('decoder made no progress');
      if (buf.length === 0) break;
      const before = buf.length;
      const r = step(buf);
      if (r < 0) return;
      if (r === 0) break;
      if (buf.length >= before) throw new Error('a handled frame consumed nothing');
    }
  }
}

const repairTeltonika = (b: Buffer): Buffer => {
  if (b.length < 12) return b;
  const len = b.readUInt32BE(4);
  if (8 + len + 4 <= b.length) b.writeUInt32BE(crc16Arc(b, 8, 8 + len), 8 + len);
  return b;
};

describe('fuzz: hostile frames never crash a decoder nor grow a buffer past its bound', () => {
  it(`Teltonika TCP and UDP: ${RUNS} random and mutated frames`, () => {
    const t = Date.UTC(2026, 0, 1);
    const rec = { ts: t, lat: 48.5, lon: 32.26, speedKmh: 40, satellites: 9, io: { 239: 1, 16: 123456, 66: 12800, 78: 2 ** 40 } };
    const seeds = [
      encodeImeiLogin('356307042441013'),
      Buffer.from('000000000000003608010000016B40D8EA30010000000000000000000000000000000105021503010101425E0F01F10000601A014E0000000000000000010000C7CF', 'hex'),
      Buffer.from('000000000000004A8E010000016B412CEE000100000000000000000000000000000000010005000100010100010011001D00010010015E2C880002000B000000003544C87A000E000000001DD7E06A00000100002994', 'hex'),
      encodeTcpAvlPacket([rec, { ...rec, ts: t - 1000 }, { ...rec, lat: -33.9 }]),
      encodeTcpAvlPacket([rec], 0x8e),
      Buffer.from('003DCAFE0105000F33353230393330383634303336353508010000016B4F815B30010000000000000000000000000000000103021503010101425DBC000001', 'hex'),
      encodeUdpAvlPacket('352093086403655', 1, 2, [rec, rec]),
    ];
    const stats = new Stats();
    const started = Date.now();
    fc.assert(
      fc.property(frames(seeds, repairTeltonika), chunking, fc.boolean(), (bytes, chunks, loggedIn) => {
        stats.frames++;
        stats.sample();
        let state: TeltonikaStreamState = loggedIn ? 'logged-in' : 'awaiting-imei';
        drive(bytes, chunks, stats, (buf) => {
          const d = decodeTeltonikaTcp(buf.view(), state, MAX_FRAME);
          switch (d.kind) {
            case 'incomplete':
              return 0;
            case 'invalid':
              return -1;
            case 'login':
              state = 'logged-in';
              break;
            case 'avl':
              for (const r of d.records) stats.positions += Number(toPositionMessage('fuzz', teltonikaRecordToPayload(r), NOW).ok);
              break;
            default:
              break;
          }
          buf.consume(d.size);
          return 1;
        });
        const u = decodeUdpPacket(bytes);
        if (u.kind === 'avl') for (const r of u.records) stats.positions += Number(toPositionMessage('fuzz', teltonikaRecordToPayload(r), NOW).ok);
      }),
      { numRuns: RUNS },
    );
    stats.report('teltonika', started);
    expect(stats.frames).toBeGreaterThanOrEqual(RUNS);
    expect(stats.peakBuffer).toBeLessThanOrEqual(MAX_FRAME);
  }, 120_000);

  it(`Wialon IPS: ${RUNS} random and mutated packets`, () => {
    const t = Date.UTC(2026, 0, 1, 12);
    const r = { ts: t, lat: 48.5079, lon: 32.2623, speedKmh: 40, courseDeg: 90, altitudeM: 120, satellites: 9, hdop: 0.8, inputs: 3, outputs: 1, adc: [12.5, 0.1], ibutton: 'AB12', params: { '239': 1, fuel: 45.5, fw: 'v1.2' } };
    const seeds = [
      wialonPackets.login('353976013445485', 'pw'),
      wialonPackets.login('353976013445485', 'pw', '1.1'),
      wialonPackets.data(r),
      wialonPackets.data(r, '1.1'),
      wialonPackets.shortData(r),
      wialonPackets.shortData({}, '1.1'),
      wialonPackets.blackBox([r, { ...r, ts: t - 60_000 }, { ...r, lat: -12.5, lon: -77.1 }]),
      wialonPackets.ping(),
      '#D#220323;114150;2234.80479;N;11354.87786;E;0;NA;59;11;NA;NA;NA;;NA;d_battr:1:94,d_csq:1:21,di_light:1:1;E7C9\r\n',
      '#B#080914;073235;5027.50625;N;03026.19321;E;0.700;0.000;NA;4;NA;NA;NA;;NA;Батарея:3:100 %|080914;073420;5027.50845;N;03026.18854;E;1.996;292.540;NA;4;NA;NA;NA;;NA;Батарея:3:100 %\r\n',
    ].map((s) => Buffer.from(s, 'utf8'));
    const repair = (b: Buffer): Buffer => {
      // Recomputes a 2.0 checksum over whatever the mutation left, so field parsers get exercised.
      const lf = b.indexOf(0x0a);
      const line = lf < 0 ? b : b.subarray(0, lf > 0 && b[lf - 1] === 0x0d ? lf - 1 : lf);
      const close = line.indexOf(0x23, 1);
      let sep = line.length - 1;
      while (sep >= 0 && line[sep] !== 0x3b && line[sep] !== 0x7c) sep--;
      if (close < 0 || sep <= close) return b;
      const crc = crc16Wialon(line, close + 1, sep + 1).toString(16).toUpperCase().padStart(4, '0');
      return Buffer.concat([line.subarray(0, sep + 1), Buffer.from(crc + '\r\n'), lf < 0 ? Buffer.alloc(0) : b.subarray(lf + 1)]);
    };
    const stats = new Stats();
    const started = Date.now();
    fc.assert(
      fc.property(frames(seeds, repair), chunking, fc.constantFrom('1.1' as const, '2.0' as const), (bytes, chunks, version) => {
        stats.frames++;
        stats.sample();
        let scanned = 0;
        drive(bytes, chunks, stats, (buf) => {
          const l = nextWialonLine(buf.view(), MAX_FRAME - 1, scanned);
          if (l.kind === 'incomplete') {
            scanned = l.scanned;
            return 0;
          }
          scanned = 0;
          if (l.kind === 'too-long') return -1;
          const p = decodeWialonPacket(Buffer.from(l.line), version, NOW);
          buf.consume(l.size);
          const outcomes = p.type === 'data' || p.type === 'short-data' ? [p.outcome] : p.type === 'black-box' ? p.records : [];
          for (const o of outcomes) if (o.ok) stats.positions += Number(toPositionMessage('fuzz', wialonRecordToPayload(o.record), NOW).ok);
          return p.type === 'malformed' ? -1 : 1;
        });
      }),
      { numRuns: RUNS },
    );
    stats.report('wialon-ips', started);
    expect(stats.frames).toBeGreaterThanOrEqual(RUNS);
    expect(stats.peakBuffer).toBeLessThanOrEqual(MAX_FRAME);
  }, 120_000);

  it(`GT06: ${RUNS} random and mutated packets`, () => {
    const fixIn = { ts: Date.UTC(2026, 0, 1), lat: 48.5, lon: 32.25, speedKmh: 40, courseDeg: 10, satellites: 9, acc: true };
    const seeds = [
      encodeGt06Login('864717003283581', 1),
      encodeGt06Location(fixIn, 2),
      encodeGt06Heartbeat(3),
      Buffer.from('78781F120B081D112E10CF027AC7EB0C46584900148F01CC00287D001FB8000380810D0A', 'hex'),
      Buffer.from('7878251613020C12141AC5027951430C2A16F60014000900000000001A00007C550300020002F1E70D0A', 'hex'),
      Buffer.from('79790008940000ed0289d6860d0a', 'hex'),
      encodeGt06Packet(0x26, Buffer.from('1603060c231e0c0194620213ee0060140001', 'hex'), 4, true),
    ];
    const repair = (b: Buffer): Buffer => {
      if (b.length < 7) return b;
      const long = b[0] === 0x79;
      const head = long ? 4 : 3;
      const len = long ? b.readUInt16BE(2) : (b[2] ?? 0);
      const crcAt = head + len - 2;
      if (len >= 5 && crcAt + 2 <= b.length) b.writeUInt16BE(crc16X25(b, 2, crcAt), crcAt);
      return b;
    };
    const stats = new Stats();
    const started = Date.now();
    fc.assert(
      fc.property(frames(seeds, repair), chunking, (bytes, chunks) => {
        stats.frames++;
        stats.sample();
        drive(bytes, chunks, stats, (buf) => {
          const f = nextGt06Frame(buf.view());
          if (f.kind === 'incomplete') return 0;
          if (f.kind === 'invalid') return -1;
          if (f.kind === 'frame') {
            const p = decodeGt06Packet(f.protocol, Buffer.from(f.content));
            if (p.type === 'location') stats.positions += Number(toPositionMessage('fuzz', gt06ToPayload(p.gps, { acc: p.gps.acc }), NOW).ok);
            if (p.type === 'gps-status') stats.positions += Number(toPositionMessage('fuzz', gt06ToPayload(p.gps, { acc: p.status.acc, gsmSignal: p.status.gsmSignal }), NOW).ok);
          }
          buf.consume(f.size);
          return 1;
        });
      }),
      { numRuns: RUNS },
    );
    stats.report('gt06', started);
    expect(stats.frames).toBeGreaterThanOrEqual(RUNS);
    expect(stats.peakBuffer).toBeLessThanOrEqual(MAX_FRAME);
  }, 120_000);
});
