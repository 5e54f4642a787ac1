import { describe, expect, it } from 'vitest';
import { SameInstantWindow } from '../../services/ingest/same-instant.ts';
import type { HistoryPoint } from '../../services/store/history-store.ts';
import { encodeRecord } from '../../services/store/line-protocol.ts';

const at = (ts: number, fields: HistoryPoint['fields'], tags: Record<string, string> = { device: 'trk-1', vehicle: 'TB-12' }): Buffer =>
  encodeRecord({ measurement: 'position', tags, fields, ts });

describe('SameInstantWindow', () => {
  it('takes the first record of a (series, instant), lets the same bytes through again and refuses a different one', () => {
    const w = new SameInstantWindow();
    expect(w.check(at(1000, { lat: 1, lon: 2 }))).toBe('first');
    expect(w.check(at(1000, { lat: 1, lon: 2 }))).toBe('repeat');
    expect(w.check(at(1000, { lat: 1.5, lon: 2 }))).toBe('conflict');
    // Fewer fields is different too: merging it would not change the point, but it is another message.
    expect(w.check(at(1000, { lat: 1 }))).toBe('conflict');
    // The refused one read again (a rewind of the spool) is refused without a second report.
    expect(w.check(at(1000, { lat: 1.5, lon: 2 }))).toBe('conflict-again');
    expect(w.check(at(1000, { lat: 1, lon: 2 }))).toBe('repeat');
  });

  it('tells series and instants apart: another ms, another device, other tags or another measurement is another point', () => {
    const w = new SameInstantWindow();
    expect(w.check(at(1000, { lat: 1 }))).toBe('first');
    expect(w.check(at(1001, { lat: 2 }))).toBe('first');
    expect(w.check(at(1000, { lat: 2 }, { device: 'trk-2', vehicle: 'TB-12' }))).toBe('first');
    expect(w.check(at(1000, { lat: 2 }, { device: 'trk-1', vehicle: 'TB-13' }))).toBe('first');
    expect(w.check(encodeRecord({ measurement: 'energy_reading', tags: { device: 'trk-1', vehicle: 'TB-12' }, fields: { lat: 2 }, ts: 1000 }))).toBe('first');
    // Escaped spaces in tags and spaces inside string fields do not confuse where the series ends.
    const tags = { device: 'd 1', vehicle: 'a\\ b' };
    expect(w.check(at(5, { note: 'x y z' }, tags))).toBe('first');
    expect(w.check(at(5, { note: 'x y' }, tags))).toBe('conflict');
    expect(w.check(at(5, { note: 'x y' }, { device: 'd 1', vehicle: 'a\\ c' }))).toBe('first');
  });

  it('judges a JSON record of an older spool by its line', () => {
    const w = new SameInstantWindow();
    const point: HistoryPoint = { measurement: 'position', tags: { device: 'trk-1' }, fields: { lon: 2, lat: 1 }, ts: 7 };
    expect(w.check(Buffer.from(JSON.stringify(point)))).toBe('first');
    expect(w.check(encodeRecord(point))).toBe('repeat');
    expect(w.check(encodeRecord({ ...point, fields: { lat: 3 } }))).toBe('conflict');
  });

  it('remembers a bounded number of instants, oldest forgotten first', () => {
    const w = new SameInstantWindow(3);
    for (const ts of [1, 2, 3, 4]) expect(w.check(at(ts, { lat: ts }))).toBe('first');
    expect(w.size).toBe(3);
    // 1 was forgotten: a different record for it is taken (the store then merges it).
    expect(w.check(at(1, { lat: 9 }))).toBe('first');
    expect(w.check(at(4, { lat: 9 }))).toBe('conflict');
    expect(() => new SameInstantWindow(0)).toThrow(/capacity/);
  });
});
