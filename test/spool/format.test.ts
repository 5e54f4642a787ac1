import { describe, expect, it } from 'vitest';
import { HEADER_BYTES, crc32, encodeRecord, parseRecord, parseSegmentName, resync, segmentName, tableCrc32 } from '../../services/spool/format.ts';

describe('spool record format', () => {
  it('computes the standard CRC-32, natively and with the fallback table', () => {
    const check = Buffer.from('123456789');
    expect(crc32(check)).toBe(0xcbf43926);
    expect(tableCrc32(check)).toBe(0xcbf43926);
    const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 131) & 0xff));
    expect(tableCrc32(data.subarray(1000), tableCrc32(data.subarray(0, 1000)))).toBe(crc32(data));
  });

  it('round-trips records, including an empty one', () => {
    const payloads = [Buffer.from('hello'), Buffer.alloc(0), Buffer.from('x'.repeat(300))];
    const buf = Buffer.alloc(payloads.reduce((n, p) => n + HEADER_BYTES + p.length, 0));
    let at = 0;
    for (const p of payloads) at = encodeRecord(buf, at, p);
    expect(at).toBe(buf.length);
    const got: string[] = [];
    for (let pos = 0; pos < buf.length; ) {
      const r = parseRecord(buf, pos, buf.length - pos);
      if (r.kind !== 'record') throw new Error(`expected a record at ${pos}, got ${r.kind}`);
      got.push(r.payload.toString());
      pos = r.next;
    }
    expect(got).toEqual(payloads.map((p) => p.toString()));
  });

  it('rejects an all-zero header (a hole left by a crash) and a flipped bit', () => {
    expect(parseRecord(Buffer.alloc(64), 0, 64).kind).toBe('corrupt');
    const buf = Buffer.alloc(HEADER_BYTES + 10);
    encodeRecord(buf, 0, Buffer.from('0123456789'));
    buf[HEADER_BYTES + 3]! ^= 0x04;
    expect(parseRecord(buf, 0, buf.length).kind).toBe('corrupt');
  });

  it('tells a record cut by the end of the buffer (read more) from one cut by the end of the data (torn)', () => {
    const buf = Buffer.alloc(HEADER_BYTES + 100);
    encodeRecord(buf, 0, Buffer.alloc(100, 7));
    expect(parseRecord(buf.subarray(0, 50), 0, buf.length)).toEqual({ kind: 'short', need: HEADER_BYTES + 100 });
    expect(parseRecord(buf.subarray(0, 50), 0, 50).kind).toBe('corrupt');
  });

  it('finds the next good record after damage', () => {
    const buf = Buffer.alloc(3 * (HEADER_BYTES + 4));
    let at = 0;
    for (const s of ['aaaa', 'bbbb', 'cccc']) at = encodeRecord(buf, at, Buffer.from(s));
    buf[HEADER_BYTES]! ^= 0xff;
    expect(resync(buf, 1)).toBe(HEADER_BYTES + 4);
    expect(resync(Buffer.alloc(100), 1)).toBe(-1);
  });

  it('names segments so that they sort by offset', () => {
    expect(segmentName(123)).toBe('0000000000000123.seg');
    expect(parseSegmentName(segmentName(2 ** 40))).toBe(2 ** 40);
    expect(parseSegmentName('cursor.json')).toBeNull();
  });
});
