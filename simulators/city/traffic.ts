/**
 * DEMO DATA. The demo city's traffic by time of day: how fast vehicles cruise between stops and
 * how long they stand at them. The timetable (demo-gtfs.ts) is written from the typical values;
 * the simulated vehicles (timetable-model.ts) drive the same curves with day-to-day and
 * trip-to-trip variation on top, so schedules hold on average and slip in the rush hours.
 */

/** Free-flow cruise speed between stops, km/h. */
export const FREE_CRUISE_KMH = 34;

/**
 * Cruise-speed factor by local hour (index 0 = 00:00–01:00): free flow at night, slower in the
 * day, slowest in the rush hours 07–10 and 16–19. Interpolated linearly between hour midpoints.
 */
const SPEED_BY_HOUR = [
  1.0, 1.0, 1.0, 1.0, 1.0, 0.97, 0.9, 0.7, 0.62, 0.72, 0.85, 0.86, 0.84, 0.84, 0.85, 0.8, 0.7, 0.6, 0.64, 0.8, 0.9, 0.95, 0.98, 1.0,
];

/** Mean dwell at an intermediate stop by local hour, seconds: more people board in the rush hours. */
const DWELL_BY_HOUR = [12, 12, 12, 12, 12, 15, 20, 32, 38, 30, 22, 22, 24, 24, 24, 26, 32, 38, 34, 24, 18, 15, 14, 12];

function byHour(table: readonly number[], minuteOfDay: number): number {
  const m = ((minuteOfDay % 1440) + 1440) % 1440;
  const x = m / 60 - 0.5;
  const i = Math.floor(x);
  const f = x - i;
  const a = table[(i + 24) % 24]!;
  const b = table[(i + 25) % 24]!;
  return a + (b - a) * f;
}

/** Typical cruise speed at the local time, km/h. */
export function typicalCruiseKmh(minuteOfDay: number): number {
  return FREE_CRUISE_KMH * byHour(SPEED_BY_HOUR, minuteOfDay);
}

/** Typical dwell at an intermediate stop at the local time, seconds. */
export function typicalDwellS(minuteOfDay: number): number {
  return byHour(DWELL_BY_HOUR, minuteOfDay);
}

/** Is the local time in a rush hour (07–10 or 16–19)? */
export function isRushHour(minuteOfDay: number): boolean {
  const h = Math.floor((((minuteOfDay % 1440) + 1440) % 1440) / 60);
  return (h >= 7 && h < 10) || (h >= 16 && h < 19);
}
