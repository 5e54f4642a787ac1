/** Skate's headway ratings: actual ÷ scheduled headway. */
export type HeadwayRating = 'very-bunched' | 'bunched' | 'ok' | 'gapped' | 'very-gapped';

export function rateHeadway(ratio: number): HeadwayRating {
  if (ratio >= 2) return 'very-gapped';
  if (ratio >= 1.5) return 'gapped';
  if (ratio <= 0.33) return 'very-bunched';
  if (ratio <= 0.5) return 'bunched';
  return 'ok';
}
