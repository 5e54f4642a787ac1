import * as SunCalc from 'suncalc';
import type { IANAZone } from 'luxon';
import { localToUtc } from './local-time.ts';

export interface Place {
  lat: number;
  lon: number;
}

/**
 * Sunset of a local date and sunrise of a local date (upper limb at the horizon with standard
 * refraction, -0.833°), as epoch ms; null where the sun does not set or rise that day
 * (polar summer or winter). suncalc picks the solar day nearest the instant it is given, so it
 * is given the local noon.
 */
export function sunTimes(date: string, place: Place, zone: IANAZone): { sunrise: number | null; sunset: number | null } {
  const noon = localToUtc(date, 12 * 60, zone);
  const t = SunCalc.getTimes(new Date(noon), place.lat, place.lon);
  const ms = (d: Date | null): number | null => (d && Number.isFinite(d.getTime()) ? d.getTime() : null);
  return { sunrise: ms(t.sunrise), sunset: ms(t.sunset) };
}

/** Whether the sun's upper limb is above the horizon at an instant. */
export function sunIsUp(ms: number, place: Place): boolean {
  const { altitude } = SunCalc.getPosition(new Date(ms), place.lat, place.lon);
  return (altitude * 180) / Math.PI > -0.833;
}
