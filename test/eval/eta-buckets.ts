/**
 * Transit App's ETA accuracy buckets: a prediction made `lead` before the predicted arrival is
 * right when the vehicle comes no earlier than `early` and no later than `late` than predicted.
 */
export interface Bucket {
  name: string;
  fromS: number;
  toS: number;
  earlyS: number;
  lateS: number;
}

export const BUCKETS: readonly Bucket[] = [
  { name: '0–3 min', fromS: 0, toS: 180, earlyS: 30, lateS: 90 },
  { name: '3–6 min', fromS: 180, toS: 360, earlyS: 60, lateS: 150 },
  { name: '6–10 min', fromS: 360, toS: 600, earlyS: 60, lateS: 210 },
  { name: '10–15 min', fromS: 600, toS: 900, earlyS: 90, lateS: 270 },
];

export interface Sample {
  /** seconds from when the prediction was made to the arrival it predicted */
  leadS: number;
  /** actual − predicted, seconds: positive when the vehicle came later than predicted */
  errorS: number;
}

export interface BucketScore {
  name: string;
  n: number;
  ok: number;
  /** ok ÷ n, 0–1 */
  accuracy: number;
}

export function bucketOf(leadS: number): Bucket | undefined {
  return BUCKETS.find((b) => leadS >= b.fromS && leadS < b.toS);
}

export const isAccurate = (b: Bucket, errorS: number): boolean => errorS >= -b.earlyS && errorS <= b.lateS;

/** Per bucket, overall (every scored prediction counts once) and the mean of the four buckets. */
export function score(samples: Iterable<Sample>): { buckets: BucketScore[]; overall: number; bucketMean: number } {
  const counts = BUCKETS.map((b) => ({ name: b.name, n: 0, ok: 0, accuracy: 0 }));
  for (const s of samples) {
    const i = BUCKETS.findIndex((b) => s.leadS >= b.fromS && s.leadS < b.toS);
    if (i < 0) continue;
    counts[i]!.n++;
    if (isAccurate(BUCKETS[i]!, s.errorS)) counts[i]!.ok++;
  }
  for (const c of counts) c.accuracy = c.n ? c.ok / c.n : 0;
  const used = counts.filter((c) => c.n > 0);
  const n = counts.reduce((a, c) => a + c.n, 0);
  return {
    buckets: counts,
    overall: n ? counts.reduce((a, c) => a + c.ok, 0) / n : 0,
    bucketMean: used.length ? used.reduce((a, c) => a + c.accuracy, 0) / used.length : 0,
  };
}
