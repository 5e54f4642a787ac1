import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeDeviceMessage, topics, type Device, type DeviceMessage } from '../../services/contracts/index.ts';
import { toHistoryPoint, toHistoryRecord } from '../../services/ingest/history-points.ts';
import { encodeLine } from '../../services/store/line-protocol.ts';

const device = (id: string, vehicleId: string | null): Device => ({
  id, kind: 'tracker', protocol: 'mqtt', name: null, loginId: null, imei: null, vehicleId, routeId: null, groupId: null, buildingId: null,
  lat: null, lon: null, demo: false, enabled: true, createdAt: '2026-11-26T00:00:00.000Z', updatedAt: '2026-11-26T00:00:00.000Z',
});

const NOW = Date.UTC(2026, 10, 26, 12);
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
/** Payloads as devices send them, valid or not: the decoder decides, as in the hub. */
const payload = fc.record(
  {
    ts: fc.oneof(fc.integer({ min: Date.UTC(1999, 0, 1), max: NOW + 600_000 }), fc.constant('2026-11-26T10:00:00+02:00')),
    lat: fc.double({ min: -91, max: 91, noNaN: true }),
    lon: fc.double({ min: -181, max: 181, noNaN: true }),
    speedKmh: opt(fc.double({ min: -1, max: 401, noNaN: true })),
    courseDeg: opt(fc.integer({ min: 0, max: 360 })),
    altitudeM: opt(fc.double({ min: -500, max: 10_000, noNaN: true })),
    satellites: opt(fc.integer({ min: 0, max: 255 })),
    hdop: opt(fc.double({ min: 0, max: 100, noNaN: true })),
    fix: opt(fc.boolean()),
    ignition: opt(fc.boolean()),
    odometerKm: opt(fc.double({ min: 0, max: 1e7, noNaN: true })),
    io: opt(fc.dictionary(fc.integer({ min: 1, max: 500 }).map(String), fc.integer(), { maxKeys: 3 })),
  },
  { requiredKeys: ['ts', 'lat', 'lon'] },
);
// Ids and vehicle ids with what line protocol must escape.
const ids = fc.tuple(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,20}$/), fc.option(fc.string({ unit: fc.constantFrom('T', 'Б', '-', ' ', ',', '=', '\\', '1'), minLength: 1, maxLength: 8 }), { nil: null }));

describe('spool records of accepted messages', () => {
  it('a position is written straight to the very line the general encoder makes of its point', () => {
    let positions = 0;
    fc.assert(
      fc.property(payload, ids, (p, [id, vehicleId]) => {
        const decoded = decodeDeviceMessage(topics.position(id), JSON.stringify(p), NOW);
        if (!decoded.ok) return;
        positions++;
        const d = device(id, vehicleId);
        const record = toHistoryRecord(decoded.message, d);
        expect(record?.toString('utf8')).toBe(encodeLine(toHistoryPoint(decoded.message, d)!));
      }),
      { numRuns: 5000 },
    );
    expect(positions).toBeGreaterThan(1000);
  });

  it('follows a device re-assigned to another vehicle', () => {
    const message: DeviceMessage = { channel: 'position', deviceId: 'trk-1', ts: NOW, payload: { ts: NOW, lat: 48.5, lon: 32.2 } };
    expect(toHistoryRecord(message, device('trk-1', 'TB-1'))?.toString()).toBe(`position,device=trk-1,vehicle=TB-1 fix=T,lat=48.5,lon=32.2 ${NOW}`);
    // The registry hands out a new Device object after every change.
    expect(toHistoryRecord(message, device('trk-1', 'TB-2'))?.toString()).toBe(`position,device=trk-1,vehicle=TB-2 fix=T,lat=48.5,lon=32.2 ${NOW}`);
  });

  it('keeps no record of a command acknowledgement (delivery state, not telemetry)', () => {
    const ack: DeviceMessage = { channel: 'lighting-cmd-ack', deviceId: 'cab-1', ts: NOW, payload: { ts: NOW, cmdId: 'c1', status: 'applied' } };
    expect(toHistoryRecord(ack, device('cab-1', null))).toBeNull();
  });
});
