/** The search for a pipeline's sustained rate (bench.ts), the same for the hub and the peer. */

/** What the search needs of a step: its rate and whether the pipeline kept up with it. */
export interface SearchStep {
  rate: number;
  keptUp: boolean;
}

/**
 * Steps of the search, for the hub and the peer alike: enough to climb three times from the
 * start, miss, and bisect once. The peer needs them: under the closed-loop flood Node-RED stores
 * slowly, so its search starts low (a run with five steps ended on 19,000 kept and 24,000
 * missed, without trying between them).
 */
export const SEARCH_STEPS = 6;
/**
 * The search starts this far below the closed-loop figure and climbs: a step that overloads a
 * pipeline leaves it busy with garbage and backlog for a while, so starting above the answer
 * and coming down would handicap whoever starts higher.
 */
export const SEARCH_START = 0.7;

export const roundRate = (r: number): number => Math.max(500, Math.round(r / 500) * 500);

/**
 * A pipeline's sustainable rate, found the way it would have to run for good: open-loop steps
 * at fixed rates (rounded to 500 msgs/s), from `start` up by a quarter while it keeps up, or
 * down by a fifth until it does, then once halfway between the best rate kept up and the first
 * one missed (unless they are 1,000 or less apart). At most `maxSteps` steps.
 */
export async function searchSustainedRate<S extends SearchStep>(start: number, maxSteps: number, tryRate: (rate: number, n: number) => Promise<S>): Promise<S[]> {
  const steps: S[] = [];
  let rate = roundRate(start);
  let bisected = false;
  for (let n = 1; n <= maxSteps; n++) {
    steps.push(await tryRate(rate, n));
    const best = bestKeptUp(steps);
    const missed = steps.filter((s) => !s.keptUp).map((s) => s.rate);
    const firstMiss = missed.length ? Math.min(...missed) : undefined;
    if (best === 0) rate = roundRate(rate * 0.8);
    else if (firstMiss === undefined) rate = roundRate(rate * 1.25);
    else if (!bisected && firstMiss - best > 1000) {
      rate = roundRate((best + firstMiss) / 2);
      bisected = true;
    } else break;
  }
  return steps;
}

/** The highest rate kept up, 0 if none was. */
export const bestKeptUp = (steps: readonly SearchStep[]): number => {
  const kept = steps.filter((s) => s.keptUp);
  return kept.length ? Math.max(...kept.map((s) => s.rate)) : 0;
};
