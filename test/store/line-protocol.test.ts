import { Point } from '@influxdata/influxdb-client';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FieldValue, HistoryPoint } from '../../services/store/history-store.ts';
import { encodeLine, encodeTagValue, joinRecords, parseLine, parseRecord } from '../../services/store/line-protocol.ts';
import { HistoryStoreError, normalizePoint } from '../../services/store/points.ts';

/** The reference: the same point through @influxdata/influxdb-client's Point, every number a float. */
function viaPoint(p: HistoryPoint): string | undefined {
  const point = new Point(p.measurement);
  for (const [key, value] of Object.entries(p.tags)) point.tag(key, encodeTagValue(value));
  for (const [key, value] of Object.entries(p.fields)) {
    if (typeof value === 'number') point.floatField(key, value);
    else if (typeof value === 'boolean') point.booleanField(key, value);
    else point.stringField(key, value);
  }
  point.timestamp(p.ts);
  return point.toLineProtocol({ convertTime: (t) => (typeof t === 'number' ? String(t) : undefined) });
}

const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,10}$/).filter((n) => n !== 'time');
// Tag values and strings with everything line protocol has to escape, and some Ukrainian.
const text = fc.string({ unit: fc.constantFrom('a', 'Я', 'ї', ' ', ',', '=', '"', '\\', '\n', '\r', '\t', '🚎', '1'), maxLength: 12 });
// -0 is written as 0, as String(-0) is: it reads back as 0, which InfluxDB would store too.
const fieldValue: fc.Arbitrary<FieldValue> = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => (v === 0 ? 0 : v)), fc.integer(), fc.boolean(), text);
const point: fc.Arbitrary<HistoryPoint> = fc
  .record({
    measurement: fc.constantFrom('position', 'lighting_state', 'energy_reading'),
    device: text.filter((t) => t !== ''),
    tags: fc.dictionary(name.filter((n) => n !== 'device'), text, { maxKeys: 3 }),
    fields: fc.dictionary(name, fieldValue, { minKeys: 1, maxKeys: 6 }),
    ts: fc.integer({ min: -9_000_000_000_000, max: 9_000_000_000_000 }),
  })
  .filter((r) => Object.keys(r.fields).every((k) => !(k in r.tags) && k !== 'device'))
  .map((r) => ({ measurement: r.measurement, tags: { ...r.tags, device: r.device }, fields: r.fields, ts: r.ts }) as HistoryPoint);

describe('line protocol of history points', () => {
  it('is byte for byte what the InfluxDB client library writes for the same point', () => {
    fc.assert(
      fc.property(point, (p) => {
        expect(encodeLine(p)).toBe(viaPoint(normalizePoint(p, 0)));
      }),
      { numRuns: 2000 },
    );
  });

  it('reads back as the same point (the embedded store and the dead letter rely on it)', () => {
    fc.assert(
      fc.property(point, (p) => {
        expect(parseLine(encodeLine(p))).toEqual(normalizePoint(p, 0));
      }),
      { numRuns: 2000 },
    );
  });

  it('writes a position as InfluxDB expects it', () => {
    const line = encodeLine({ measurement: 'position', tags: { vehicle: 'TB 12', device: 'trk-1' }, fields: { lon: 32.26, lat: 48.51, fix: true, note: 'a "b"' }, ts: 1_700_000_000_000 });
    expect(line).toBe('position,device=trk-1,vehicle=TB\\ 12 fix=T,lat=48.51,lon=32.26,note="a \\"b\\"" 1700000000000');
  });

  it('refuses what the stores refuse, naming the problem', () => {
    const p = (fields: Record<string, FieldValue>): HistoryPoint => ({ measurement: 'position', tags: { device: 'd' }, fields, ts: 1 });
    expect(() => encodeLine(p({ lat: Number.NaN }))).toThrow(/field lat is not a finite number/);
    expect(() => encodeLine(p({}))).toThrow(/no fields/);
    expect(() => encodeLine({ ...p({ a: 1 }), tags: {} })).toThrow(HistoryStoreError);
  });

  it('takes a spool record as line protocol or as the JSON an older hub wrote', () => {
    const p: HistoryPoint = { measurement: 'energy_reading', tags: { device: 'm-1', building: 'school-5' }, fields: { value: 12.5, unit: 'kWh' }, ts: 5000 };
    const asLine = Buffer.from(encodeLine(p));
    const asJson = Buffer.from(JSON.stringify(p));
    expect(parseRecord(asLine)).toEqual(normalizePoint(p, 0));
    expect(parseRecord(asJson)).toEqual(normalizePoint(p, 0));
    // Both become the same line in a write body, each ended by a newline.
    expect(joinRecords([asLine, asJson]).toString()).toBe(`${encodeLine(p)}\n${encodeLine(p)}\n`);
  });

  it('refuses a line it did not write, with the line in the message', () => {
    expect(() => parseLine('position lat=1')).toThrow(/not three sections.*position lat=1/);
    expect(() => parseLine('position,device=d lat=x 1')).toThrow(/field value x/);
    expect(() => parseLine('position,device=d lat="open 1')).toThrow(HistoryStoreError);
  });
});
