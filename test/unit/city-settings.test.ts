import { describe, expect, it } from 'vitest';
import { parseSettings, SettingsError } from '../../services/config/settings.ts';

describe('the city settings', () => {
  it('default to Kropyvnytskyi in Europe/Kyiv', () => {
    const s = parseSettings({});
    expect([s.CITY_TZ, s.CITY_LAT, s.CITY_LON]).toEqual(['Europe/Kyiv', 48.5079, 32.2623]);
  });

  it('take another city', () => {
    const s = parseSettings({ CITY_TZ: 'Europe/Lisbon', CITY_LAT: '38.72', CITY_LON: '-9.14' });
    expect([s.CITY_TZ, s.CITY_LAT, s.CITY_LON]).toEqual(['Europe/Lisbon', 38.72, -9.14]);
  });

  it('name every bad one', () => {
    let err: unknown;
    try {
      parseSettings({ CITY_TZ: 'Europe/Kropyvnytskyi', CITY_LAT: '91', CITY_LON: 'east' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SettingsError);
    const problems = (err as SettingsError).problems.join('\n');
    expect(problems).toMatch(/CITY_TZ.*IANA time zone/);
    expect(problems).toMatch(/CITY_LAT.*−90…90/);
    expect(problems).toMatch(/CITY_LON/);
  });
});
