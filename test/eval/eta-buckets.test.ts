import { describe, expect, it } from 'vitest';
import { bucketOf, isAccurate, score } from './eta-buckets.ts';

describe('ETA accuracy buckets (Transit App)', () => {
  it('puts a prediction in the bucket of its lead and judges it by that bucket\'s window', () => {
    expect(bucketOf(0)!.name).toBe('0–3 min');
    expect(bucketOf(180)!.name).toBe('3–6 min');
    expect(bucketOf(899)!.name).toBe('10–15 min');
    expect(bucketOf(900)).toBeUndefined();
    const b = bucketOf(60)!;
    expect([isAccurate(b, -30), isAccurate(b, -31), isAccurate(b, 90), isAccurate(b, 91)]).toEqual([true, false, true, false]);
    const far = bucketOf(700)!;
    expect([isAccurate(far, -90), isAccurate(far, 270), isAccurate(far, 271)]).toEqual([true, true, false]);
  });

  it('scores per bucket, overall and as the mean of the buckets', () => {
    const s = score([
      { leadS: 10, errorS: 0 }, { leadS: 20, errorS: 100 }, // 0–3: 1 of 2
      { leadS: 200, errorS: 0 }, // 3–6: 1 of 1
      { leadS: 2000, errorS: 0 }, // beyond 15 min: not scored
    ]);
    expect(s.buckets.map((b) => [b.n, b.ok])).toEqual([[2, 1], [1, 1], [0, 0], [0, 0]]);
    expect(s.overall).toBeCloseTo(2 / 3, 10);
    expect(s.bucketMean).toBe(0.75);
  });
});
