/**
 * Sunrise and sunset from the standard sunrise equation (the NOAA/Meeus simplification):
 * accurate to a minute or two at Kropyvnytskyi's latitude, which is what a lighting schedule
 * needs. Kept inline so the simulator needs no astronomy package.
 */

const RAD = Math.PI / 180;
const J2000 = 2451545;
const DAY_MS = 86_400_000;
const UNIX_EPOCH_JD = 2440587.5;

export interface SunTimes {
  /** UTC epoch ms; NaN in polar day or night (not a concern at 48° N, but the math allows it) */
  sunrise: number;
  sunset: number;
  solarNoon: number;
}

/**
 * Sun times for the calendar date `dayIndex` (days since 1970-01-01, the local date) at a place.
 * Longitude east is positive.
 */
export function sunTimes(dayIndex: number, lat: number, lon: number): SunTimes {
  // Julian day number of the date's noon (UTC), then the mean solar noon at the longitude.
  const jdNoon = dayIndex + UNIX_EPOCH_JD + 0.5;
  const n = Math.round(jdNoon - J2000 + 0.0008);
  const jStar = n - lon / 360;
  const m = (357.5291 + 0.98560028 * jStar) % 360;
  const mr = m * RAD;
  const c = 1.9148 * Math.sin(mr) + 0.02 * Math.sin(2 * mr) + 0.0003 * Math.sin(3 * mr);
  const lambda = ((m + c + 180 + 102.9372) % 360) * RAD;
  const jTransit = J2000 + jStar + 0.0053 * Math.sin(mr) - 0.0069 * Math.sin(2 * lambda);
  const sinDecl = Math.sin(lambda) * Math.sin(23.4397 * RAD);
  const cosDecl = Math.cos(Math.asin(sinDecl));
  // -0.833°: refraction plus the sun's radius — "sunset" is the upper limb touching the horizon.
  const cosW = (Math.sin(-0.833 * RAD) - Math.sin(lat * RAD) * sinDecl) / (Math.cos(lat * RAD) * cosDecl);
  const toMs = (jd: number) => Math.round((jd - UNIX_EPOCH_JD) * DAY_MS);
  if (cosW < -1 || cosW > 1) return { sunrise: NaN, sunset: NaN, solarNoon: toMs(jTransit) };
  const w = Math.acos(cosW) / RAD;
  return { sunrise: toMs(jTransit - w / 360), sunset: toMs(jTransit + w / 360), solarNoon: toMs(jTransit) };
}
