import { describe, expect, it } from 'vitest';
import { SEARCH_STEPS, bestKeptUp, roundRate, searchSustainedRate } from '../../test/bench/search.ts';

/** A pipeline that keeps up with anything up to `capacity`. */
async function search(start: number, capacity: number, maxSteps = SEARCH_STEPS): Promise<number[]> {
  const steps = await searchSustainedRate(start, maxSteps, async (rate) => ({ rate, keptUp: rate <= capacity }));
  return steps.map((s) => s.rate);
}

describe('the sustained-rate search of npm run bench', () => {
  it('climbs by a quarter, misses, then tries halfway once', async () => {
    expect(await search(10_000, 18_000)).toEqual([10_000, 12_500, 15_500, 19_500, 17_500]);
    // far above the start: three climbs, a miss and the bisection fit in the default steps
    expect(await search(10_000, 22_000)).toEqual([10_000, 12_500, 15_500, 19_500, 24_500, 22_000]);
    // with fewer steps they run out on the first miss, before the bisection
    expect(await search(10_000, 22_000, 5)).toEqual([10_000, 12_500, 15_500, 19_500, 24_500]);
    expect(await search(12_500, 22_000)).toEqual([12_500, 15_500, 19_500, 24_500, 22_000]);
  });

  it('comes down by a fifth from a rate it cannot keep up with, then bisects', async () => {
    expect(await search(40_000, 30_000)).toEqual([40_000, 32_000, 25_500, 29_000]);
  });

  it('stops when the bracket is 1,000 msgs/s or less, and after the last step', async () => {
    expect(await search(20_000, 20_500)).toEqual([20_000, 25_000, 22_500]);
    expect(await search(10_000, 1_000_000, 3)).toEqual([10_000, 12_500, 15_500]);
  });

  it('gives the best rate kept up, or 0 when none was', () => {
    expect(bestKeptUp([{ rate: 5000, keptUp: true }, { rate: 9000, keptUp: false }, { rate: 7000, keptUp: true }])).toBe(7000);
    expect(bestKeptUp([{ rate: 5000, keptUp: false }])).toBe(0);
    expect(roundRate(12_249)).toBe(12_000);
    expect(roundRate(100)).toBe(500);
  });
});
