/** A vehicle's day replayed through a fresh engine: each stored position gets the trip and delay the hub's matching makes of it. */
import { describe, expect, it } from 'vitest';
import { replayDay, type PlaybackInput } from '../../../services/transit/realtime/playback.ts';
import { at, kyivMs, lineFeed } from './feed-fixture.ts';

/** Positions every 10 s: standing at `fromM` for `waitS`, then east to `toM` in `runS`. */
function track(startMs: number, fromM: number, waitS: number, toM: number, runS: number): PlaybackInput[] {
  const out: PlaybackInput[] = [];
  for (let s = 0; s <= waitS + runS; s += 10) {
    const m = s <= waitS ? fromM : fromM + ((toM - fromM) * (s - waitS)) / runS;
    out.push({ ts: startMs + s * 1000, ...at(m), speedKmh: s <= waitS ? 0 : ((toM - fromM) / runS) * 3.6, courseDeg: s <= waitS ? null : 90, deviceId: 'dev-1' });
  }
  return out;
}

describe('playback of a vehicle\'s day', () => {
  it('gives every position the trip it ran and its delay at that moment', () => {
    // At S1 from 07:59:30, leaves at 08:00 and runs to S3 in 4 minutes (on time), then to S5 twice as slowly.
    const first = track(kyivMs(7, 59, 30), 0, 30, 1000, 240);
    const second = track(first.at(-1)!.ts + 10_000, 1000, 0, 2000, 480).map((p) => ({ ...p }));
    const out = replayDay(lineFeed(), 'Europe/Kyiv', 'V1', [...first, ...second], () => 'R1');
    expect(out).toHaveLength(first.length + second.length);
    expect(out[0]).toMatchObject({ ts: kyivMs(7, 59, 30), tripId: 'T0-480', routeId: 'R1', speedKmh: 0, courseDeg: null });
    const atS3 = out[first.length - 1]!;
    expect(atS3.tripId).toBe('T0-480');
    expect(Math.abs(atS3.delayS!)).toBeLessThanOrEqual(15);
    // Twice the timetable's running time from S3 on: about four minutes late near S5.
    const late = out.at(-2)!;
    expect(late.tripId).toBe('T0-480');
    expect(late.delayS!).toBeGreaterThan(180);
  });

  it('puts positions on no trip where none fits, and without a feed', () => {
    // 600 m north of the line: no trip's shape is near.
    const away = track(kyivMs(8, 0), 0, 0, 500, 60).map((p) => ({ ...p, lat: p.lat + 600 / 111_195 }));
    expect(replayDay(lineFeed(), 'Europe/Kyiv', 'V1', away, () => 'R1').every((p) => p.tripId === null && p.delayS === null)).toBe(true);
    const onLine = track(kyivMs(8, 0), 0, 0, 500, 60);
    const noFeed = replayDay(undefined, 'Europe/Kyiv', 'V1', onLine, () => null);
    expect(noFeed.map((p) => p.tripId)).toEqual(onLine.map(() => null));
    expect(noFeed[3]).toMatchObject({ lat: onLine[3]!.lat, lon: onLine[3]!.lon, ts: onLine[3]!.ts });
  });
});
