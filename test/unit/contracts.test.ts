import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_PAYLOAD_BYTES, PositionPayload, decodeDeviceMessage, parseTopic, quickPosition, topics } from '../../services/contracts/index.ts';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);
const decode = (topic: string, payload: unknown) => decodeDeviceMessage(topic, typeof payload === 'string' ? payload : JSON.stringify(payload), NOW);

describe('topics', () => {
  it('builds and parses every topic of contract v1', () => {
    expect(parseTopic(topics.position('trk-1'))).toEqual({ deviceId: 'trk-1', channel: 'position' });
    expect(parseTopic(topics.lightingState('cab-1'))).toEqual({ deviceId: 'cab-1', channel: 'lighting-state' });
    expect(parseTopic(topics.lightingCommand('cab-1'))).toEqual({ deviceId: 'cab-1', channel: 'lighting-cmd' });
    expect(parseTopic(topics.lightingCommandAck('cab-1'))).toEqual({ deviceId: 'cab-1', channel: 'lighting-cmd-ack' });
    expect(parseTopic(topics.energyReading('m-1'))).toEqual({ deviceId: 'm-1', channel: 'energy-reading' });
    for (const bad of ['v2/transit/x/position', 'v1/transit/x/y/position', 'v1/transit/+/position', 'v1/energy/x/readings', '']) expect(parseTopic(bad)).toBeNull();
  });
});

describe('decodeDeviceMessage', () => {
  it('takes ISO 8601 with a zone and epoch milliseconds, to epoch milliseconds', () => {
    const iso = decode(topics.position('t'), { ts: '2026-11-26T13:59:59.250+02:00', lat: 48.5, lon: 32.2 });
    expect(iso.ok && iso.message.ts).toBe(Date.UTC(2026, 10, 26, 11, 59, 59, 250));
    const ms = decode(topics.position('t'), { ts: NOW - 1, lat: 48.5, lon: 32.2 });
    expect(ms.ok && ms.message.ts).toBe(NOW - 1);
  });

  it('keeps old timestamps (black boxes) and refuses ones more than 5 minutes ahead', () => {
    expect(decode(topics.position('t'), { ts: '2025-01-01T00:00:00Z', lat: 48.5, lon: 32.2 }).ok).toBe(true);
    expect(decode(topics.position('t'), { ts: NOW + 4 * 60_000, lat: 48.5, lon: 32.2 }).ok).toBe(true);
    const r = decode(topics.position('t'), { ts: NOW + 6 * 60_000, lat: 48.5, lon: 32.2 });
    expect(r.ok ? null : r.error.reason).toBe('future-timestamp');
  });

  it.each([
    ['a zone-less time', { ts: '2026-11-26T10:00:00', lat: 48.5, lon: 32.2 }, /ts: /],
    ['longitude out of range', { ts: NOW, lat: 48.5, lon: 181 }, /lon: must be ≤ 180/],
    ['a negative speed', { ts: NOW, lat: 48.5, lon: 32.2, speedKmh: -1 }, /speedKmh: must be ≥ 0/],
    ['a missing field', { ts: NOW, lat: 48.5 }, /lon: /],
    ['an unknown field', { ts: NOW, lat: 48.5, lon: 32.2, extra: 1 }, /extra: unknown field/],
    ['a non-numeric IO id', { ts: NOW, lat: 48.5, lon: 32.2, io: { ign: 1 } }, /io.*decimal numbers/],
  ])('refuses a position with %s, naming the field', (_n, payload, detail) => {
    const r = decode(topics.position('t'), payload);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.detail).toMatch(detail);
  });

  it('validates lighting state, command acks and energy readings', () => {
    expect(decode(topics.lightingState('c'), { ts: NOW, level: 40, on: true, powerW: 1200, lamps: [{ id: 'L1', faults: ['lamp-failure'] }] }).ok).toBe(true);
    const level = decode(topics.lightingState('c'), { ts: NOW, level: 140, on: true });
    expect(level.ok ? '' : level.error.detail).toMatch(/level: must be ≤ 100/);
    const fault = decode(topics.lightingState('c'), { ts: NOW, level: 40, on: true, lamps: [{ id: 'L1', faults: ['on-fire'] }] });
    expect(fault.ok ? '' : fault.error.detail).toMatch(/lamps.0.faults.0/);
    expect(decode(topics.lightingCommandAck('c'), { cmdId: 'k1', ts: NOW, status: 'applied' }).ok).toBe(true);
    expect(decode(topics.energyReading('m'), { ts: NOW, value: 1234.5, unit: 'Gcal' }).ok).toBe(true);
    const unit = decode(topics.energyReading('m'), { ts: NOW, value: 1, unit: 'kW' });
    expect(unit.ok ? '' : unit.error.detail).toMatch(/unit: /);
  });

  it('never parses what the hub only sends, or what is too large', () => {
    expect(decode(topics.lightingCommand('c'), { cmdId: 'x', ts: NOW, action: 'on' })).toMatchObject({ ok: false, error: { reason: 'unknown-topic' } });
    const big = decode(topics.position('t'), 'x'.repeat(MAX_PAYLOAD_BYTES + 1));
    expect(big).toMatchObject({ ok: false, error: { reason: 'too-large' } });
  });
});

describe('quickPosition (the common case of a position, checked without zod)', () => {
  const number = fc.oneof(
    fc.double({ noNaN: true }),
    fc.integer({ min: -1000, max: 1000 }),
    fc.constantFrom(-90.5, 90, 90.0001, -180, 180.5, 0, -0, 400, 400.1, 360, 361, -500, 10_000, 255, 256, 2.5, 1e308),
  );
  const value = fc.oneof(number, fc.boolean(), fc.constant(null), fc.string({ maxLength: 3 }), fc.constant({ '1': 2 }));
  const ts = fc.oneof(
    fc.integer({ min: Date.UTC(1999, 11, 31), max: Date.UTC(2030, 0, 1) }),
    fc.constantFrom(Date.UTC(2000, 0, 1), Date.UTC(2000, 0, 1) - 1, 8.64e15, 8.64e15 + 1, 1.7e12 + 0.5, '2026-11-26T10:00:00Z', -1),
  );
  const key = fc.constantFrom('lat', 'lon', 'speedKmh', 'courseDeg', 'altitudeM', 'satellites', 'hdop', 'fix', 'ignition', 'odometerKm', 'io', 'extra', '__proto__', 'toString');
  const inRange = fc.double({ min: -90, max: 90, noNaN: true });
  const payload = fc.record({ ts, lat: fc.oneof(inRange, number), lon: fc.oneof(inRange, number), more: fc.dictionary(key, fc.oneof(inRange, value), { maxKeys: 6 }) }).map(({ more, ...rest }) => {
    // JSON.parse is where payloads come from: it makes `__proto__` an own key, as a device could.
    return JSON.parse(JSON.stringify({ ...more, ...rest })) as Record<string, unknown>;
  });

  it('accepts only what the schema accepts, and gives the very same value', () => {
    let quick = 0;
    fc.assert(
      fc.property(payload, (json) => {
        const fast = quickPosition(json);
        if (fast === undefined) return;
        quick++;
        const strict = PositionPayload.safeParse(json);
        expect(strict.success, JSON.stringify(json)).toBe(true);
        expect(fast).toEqual(strict.data);
      }),
      { numRuns: 20_000 },
    );
    // The property says nothing if the quick check never answers.
    expect(quick).toBeGreaterThan(1000);
  });

  it('takes the payloads trackers send, and leaves the rest to the schema', () => {
    const ts = Date.UTC(2026, 10, 26, 10);
    expect(quickPosition({ ts, lat: 48.51, lon: 32.26, speedKmh: 30, courseDeg: 90, fix: true, satellites: 9 })).toEqual({ ts, lat: 48.51, lon: 32.26, speedKmh: 30, courseDeg: 90, fix: true, satellites: 9 });
    for (const odd of [{ ts: '2026-11-26T10:00:00Z', lat: 1, lon: 1 }, { ts, lat: 91, lon: 1 }, { ts, lat: 1, lon: 1, io: { '1': 1 } }, { ts, lat: 1 }, { ts, lat: 1, lon: 1, satellites: 1.5 }]) {
      expect(quickPosition(odd), JSON.stringify(odd)).toBeUndefined();
    }
    // …and the schema still names the problem.
    const now = ts + 1000;
    const refused = decodeDeviceMessage(topics.position('trk-1'), JSON.stringify({ ts, lat: 91, lon: 1 }), now);
    expect(refused).toMatchObject({ ok: false, error: { reason: 'invalid-payload', detail: 'lat: must be ≤ 90' } });
  });
});
