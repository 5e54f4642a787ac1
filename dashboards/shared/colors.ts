/** Stable colours: a route keeps its colour across sessions and dashboards. */

/** Distinct on the dark map background (each ≥ 4.5:1 against #101820). */
const ROUTE_PALETTE = [
  '#4fc3f7', '#ffb74d', '#81c784', '#f48fb1', '#ba68c8', '#fff176',
  '#4db6ac', '#ff8a65', '#9fa8da', '#aed581', '#f06292', '#4dd0e1',
];

export const STALE_COLOR = '#8b98a5';
export const FAULT_COLOR = '#ff6b6b';

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

export function routeColor(routeId: string | null): string {
  if (routeId === null || routeId === '') return '#cfd8dc';
  return ROUTE_PALETTE[hash(routeId) % ROUTE_PALETTE.length] ?? '#cfd8dc';
}

/** A lamp colour whose brightness follows the dim level (0–100). */
export function levelColor(level: number, on: boolean): string {
  if (!on || level <= 0) return '#3d4c5c';
  const l = Math.round(38 + Math.min(100, Math.max(0, level)) * 0.3);
  return `hsl(46, 100%, ${l}%)`;
}
