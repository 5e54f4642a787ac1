/** Small statistics helpers of the bench. */

/** The q-quantile (0..1) of `values` by nearest rank; NaN when empty. Sorts a copy. */
export function quantile(values: readonly number[] | Float64Array, q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/**
 * A latency histogram with fixed 0.05 ms buckets up to 60 s (anything above lands in the last
 * bucket): cheap enough to record every message of a capacity run.
 */
export const HIST_BUCKET_MS = 0.05;
export const HIST_BUCKETS = 1_200_000;

export function newHistogram(): Uint32Array {
  return new Uint32Array(HIST_BUCKETS);
}

export function recordMs(hist: Uint32Array, ms: number): void {
  const i = Math.min(HIST_BUCKETS - 1, Math.max(0, Math.floor(ms / HIST_BUCKET_MS)));
  hist[i] = (hist[i] ?? 0) + 1;
}

export function mergeHistograms(into: Uint32Array, from: Uint32Array): void {
  for (let i = 0; i < from.length; i++) {
    const v = from[i] ?? 0;
    if (v) into[i] = (into[i] ?? 0) + v;
  }
}

/** The q-quantile of a histogram, as the upper edge of its bucket; NaN when empty. */
export function histQuantile(hist: Uint32Array, q: number): number {
  let total = 0;
  for (let i = 0; i < hist.length; i++) total += hist[i] ?? 0;
  if (total === 0) return Number.NaN;
  const target = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < hist.length; i++) {
    seen += hist[i] ?? 0;
    if (seen >= target) return (i + 1) * HIST_BUCKET_MS;
  }
  return Number.NaN;
}

export const round = (v: number, digits = 1): number => (Number.isFinite(v) ? Number(v.toFixed(digits)) : Number.NaN);
