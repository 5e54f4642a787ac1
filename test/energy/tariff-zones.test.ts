/** Time-of-day (zone) electricity tariffs, pure: the zone of each real hour across both DST days, the zone boundaries, a month boundary, the contract's checks and the CSV. */
import { describe, expect, it } from 'vitest';
import { TariffPut, ZONE_PRESETS, zoneCoverageProblem } from '../../services/contracts/energy.ts';
import { describeZodError } from '../../services/contracts/decode.ts';
import { errorSlotOf, parseHours, presetRows, zoningOf } from '../../dashboards/energy/tariff-zones.ts';
import { localIntervals, localMidnight } from '../../services/energy/consumption/local-time.ts';
import type { HourValue } from '../../services/energy/consumption/registers.ts';
import { parseTariffsCsv, zonesFromText } from '../../services/energy/imports/tariffs-csv.ts';
import { costByZone, costOfSpans, localClockHour, priceFor, pricedByHour, zoneOfClockHour, zonePriceFor, type TariffTerms } from '../../services/energy/tariffs/pricing.ts';

const TZ = 'Europe/Kyiv';
const H = 3_600_000;

const twoZone = (tariffId: string, validFrom: string, validTo: string | null, priceUAH: number): TariffTerms => ({
  tariffId, resource: 'electricity', unit: 'kWh', priceUAH, validFrom, validTo, zones: ZONE_PRESETS['two-zone'],
});
const flat = (tariffId: string, validFrom: string, validTo: string | null, priceUAH: number): TariffTerms => ({ tariffId, resource: 'electricity', unit: 'kWh', priceUAH, validFrom, validTo });

/** One kWh in every real hour of the local dates [from, to). */
function everyHour(from: string, to: string): HourValue[] {
  const out: HourValue[] = [];
  for (let ms = localMidnight(from, TZ); ms < localMidnight(to, TZ); ms += H) out.push({ start: ms, value: 1, estimated: false });
  return out;
}

describe('time-of-day tariffs (pure)', () => {
  it('the regulator\u2019s zones are data: the two-zone night is 23:00–07:00, the three-zone peak 08:00–11:00 and 20:00–22:00', () => {
    expect(zoneOfClockHour(ZONE_PRESETS['two-zone']).map((i) => ZONE_PRESETS['two-zone'][i]!.zone[0]).join('')).toBe('nnnnnnnddddddddddddddddn');
    expect(zoneOfClockHour(ZONE_PRESETS['three-zone']).map((i) => ZONE_PRESETS['three-zone'][i]!.zone.slice(0, 2)).join(' ')).toBe(
      'ni ni ni ni ni ni ni ha pe pe pe ha ha ha ha ha ha ha ha ha pe pe ha ni',
    );
    for (const preset of Object.values(ZONE_PRESETS)) expect(zoneCoverageProblem(preset)).toBeUndefined();
  });

  it('prices the hours either side of 23:00 and 07:00 local, in winter and in summer time', () => {
    const price = priceFor([twoZone('tz', '2026-01-01', null, 4)], 'electricity', 'kWh', TZ);
    for (const date of ['2026-01-15', '2026-07-15']) {
      const midnight = localMidnight(date, TZ);
      expect([6, 7, 22, 23].map((h) => price(midnight + h * H))).toEqual([2, 4, 4, 2]);
    }
    // 23:00 local in July is 20:00 UTC, in January 21:00 UTC: the zone follows the local clock
    expect(localClockHour(Date.parse('2026-07-15T20:00:00Z'), TZ)).toBe(23);
    expect(localClockHour(Date.parse('2026-01-15T21:00:00Z'), TZ)).toBe(23);
  });

  it('the 23-hour spring day has no 03:00 and the 25-hour autumn day two: each real hour is priced once, by its local hour', () => {
    const tariffs = [twoZone('tz', '2026-01-01', null, 4)];
    const spring = everyHour('2026-03-29', '2026-03-30');
    const autumn = everyHour('2026-10-25', '2026-10-26');
    expect(spring).toHaveLength(23);
    expect(autumn).toHaveLength(25);
    expect(spring.map((h) => localClockHour(h.start, TZ)).slice(0, 5)).toEqual([0, 1, 2, 4, 5]);
    expect(autumn.map((h) => localClockHour(h.start, TZ)).slice(0, 6)).toEqual([0, 1, 2, 3, 3, 4]);
    const zoneAt = zonePriceFor(tariffs, 'electricity', 'kWh', TZ);
    const day = (d: string) => ({ start: localMidnight(d, TZ), end: localMidnight(d, TZ) + 30 * H });
    // spring: night 00,01,02,04,05,06,23 = 7 h × 2 UAH; day 07–22 = 16 h × 4 UAH
    expect(costByZone(spring, day('2026-03-29'), zoneAt)).toEqual({ zones: [{ zone: 'night', value: 7, costUAH: 14 }, { zone: 'day', value: 16, costUAH: 64 }], unpriced: 0, costUAH: 78, value: 23 });
    // autumn: night 00,01,02,03,03,04,05,06,23 = 9 h
    expect(costByZone(autumn, day('2026-10-25'), zoneAt)).toEqual({ zones: [{ zone: 'night', value: 9, costUAH: 18 }, { zone: 'day', value: 16, costUAH: 64 }], unpriced: 0, costUAH: 82, value: 25 });
    // the same through the spans of local days
    expect(costOfSpans(autumn, localIntervals('2026-10-25', '2026-10-26', 'day', TZ), priceFor(tariffs, 'electricity', 'kWh', TZ))).toEqual([82]);
  });

  it('a month that starts with a flat price and turns to zones mid-way is priced hour by hour across the month boundary', () => {
    const tariffs = [flat('flat', '2026-01-01', '2026-11-15', 4), twoZone('tz', '2026-11-15', null, 5)];
    const hours = everyHour('2026-10-31', '2026-11-17');
    const months = localIntervals('2026-10-01', '2026-12-01', 'month', TZ);
    const price = priceFor(tariffs, 'electricity', 'kWh', TZ);
    // October: the 31st, 24 h × 4; November: 14 days × 24 × 4 + 2 days × (8 night × 2.5 + 16 day × 5)
    expect(costOfSpans(hours, months, price)).toEqual([96, 14 * 96 + 2 * (8 * 2.5 + 16 * 5)]);
    expect(costByZone(hours, months[1]!, zonePriceFor(tariffs, 'electricity', 'kWh', TZ)).zones).toEqual([
      { zone: null, value: 336, costUAH: 1344 },
      { zone: 'night', value: 16, costUAH: 40 },
      { zone: 'day', value: 32, costUAH: 160 },
    ]);
    // the zone tariff's first hour is local midnight of the 15th
    expect(price(localMidnight('2026-11-15', TZ) - H)).toBe(4);
    expect(price(localMidnight('2026-11-15', TZ))).toBe(2.5);
  });

  it('says when days must be costed from hours: only where a zone tariff of the resource is in force', () => {
    const tariffs = [flat('flat', '2026-01-01', '2026-11-15', 4), twoZone('tz', '2026-11-15', '2027-01-01', 5)];
    const m = (d: string) => localMidnight(d, TZ);
    expect(pricedByHour(tariffs, 'electricity', m('2026-10-01'), m('2026-11-01'), TZ)).toBe(false);
    expect(pricedByHour(tariffs, 'electricity', m('2026-11-01'), m('2026-11-16'), TZ)).toBe(true);
    expect(pricedByHour(tariffs, 'electricity', m('2027-01-01'), m('2027-02-01'), TZ)).toBe(false);
    expect(pricedByHour(tariffs, 'heat', m('2026-11-01'), m('2026-12-01'), TZ)).toBe(false);
  });

  it('an own price per zone, a coefficient of the tariff\u2019s price, and consumption no tariff covers', () => {
    const own: TariffTerms = { ...flat('own', '2026-01-01', '2026-02-01', 4), zones: [{ zone: 'night', hours: [{ from: '22:00', to: '06:00' }], priceUAH: 1.5 }, { zone: 'day', hours: [{ from: '06:00', to: '22:00' }], coefficient: 1.25 }] };
    const zoneAt = zonePriceFor([own], 'electricity', 'kWh', TZ);
    const hours = everyHour('2026-01-31', '2026-02-02');
    const span = { start: localMidnight('2026-01-31', TZ), end: localMidnight('2026-02-02', TZ) };
    expect(costByZone(hours, span, zoneAt)).toEqual({ zones: [{ zone: 'night', value: 8, costUAH: 12 }, { zone: 'day', value: 16, costUAH: 80 }], unpriced: 24, costUAH: null, value: 48 });
    // an electricity tariff does not price heat
    expect(zonePriceFor([own], 'heat', 'Gcal', TZ)(span.start)).toBeUndefined();
  });
});

describe('time-of-day tariffs: the contract and the CSV', () => {
  const body = (zones: unknown, resource = 'electricity') => ({ resource, unit: resource === 'electricity' ? 'kWh' : 'Gcal', priceUAH: 4.32, validFrom: '2026-01-01', zones });
  const refusal = (b: unknown) => {
    const r = TariffPut.safeParse(b);
    return r.success ? 'accepted' : describeZodError(r.error);
  };

  it('accepts both presets and a flat tariff unchanged; refuses holes, overlaps, twice-named zones, odd hours and zones for heat, naming the field', () => {
    expect(refusal(body(ZONE_PRESETS['two-zone']))).toBe('accepted');
    expect(refusal(body(ZONE_PRESETS['three-zone']))).toBe('accepted');
    expect(refusal({ resource: 'electricity', unit: 'kWh', priceUAH: 4.32, validFrom: '2026-01-01' })).toBe('accepted');
    expect(refusal(body([{ zone: 'night', hours: [{ from: '23:00', to: '07:00' }], coefficient: 0.5 }, { zone: 'day', hours: [{ from: '07:00', to: '22:00' }], coefficient: 1 }]))).toBe(
      'zones: the hour 22:00 is in no zone; the zones must cover the 24 hours of the day',
    );
    expect(refusal(body([{ zone: 'night', hours: [{ from: '23:00', to: '07:00' }], coefficient: 0.5 }, { zone: 'day', hours: [{ from: '06:00', to: '23:00' }], coefficient: 1 }]))).toBe(
      'zones.1.hours.0.from: the hour 06:00 is already in zone "night"',
    );
    expect(refusal(body([{ zone: 'day', hours: [{ from: '23:00', to: '07:00' }], coefficient: 0.5 }, { zone: 'day', hours: [{ from: '07:00', to: '23:00' }], coefficient: 1 }]))).toBe('zones.1.zone: zone "day" is named twice');
    expect(refusal(body([{ zone: 'night', hours: [{ from: '23:30', to: '07:00' }], coefficient: 0.5 }, { zone: 'day', hours: [{ from: '07:00', to: '23:00' }], coefficient: 1 }]))).toMatch(/^zones\.0\.hours\.0\.from: must be a whole local hour/);
    expect(refusal(body([{ zone: 'night', hours: [{ from: '23:00', to: '07:00' }], coefficient: 0.5, priceUAH: 2 }, { zone: 'day', hours: [{ from: '07:00', to: '23:00' }], coefficient: 1 }]))).toBe('zones.0.priceUAH: give either priceUAH or coefficient (one of them)');
    expect(refusal(body([ZONE_PRESETS['two-zone'][0]]))).toMatch(/^zones: must hold at least 2 zones/);
    expect(refusal(body(ZONE_PRESETS['two-zone'], 'heat'))).toBe('zones: only electricity is priced by time of day');
  });

  it('reads the zones column: a preset, own zones with prices and coefficients, and says what is wrong with a bad cell', () => {
    expect(zonesFromText('three-zone')).toEqual({ zones: ZONE_PRESETS['three-zone'] });
    expect(zonesFromText('night 23-07 x0,4 | day 07:00-11:00 11-23 5.1')).toEqual({
      zones: [{ zone: 'night', hours: [{ from: '23:00', to: '07:00' }], coefficient: 0.4 }, { zone: 'day', hours: [{ from: '07:00', to: '11:00' }, { from: '11:00', to: '23:00' }], priceUAH: 5.1 }],
    });
    const csv = [
      'tariffId,resource,unit,priceUAH,validFrom,validTo,note,zones',
      'el-flat,electricity,kWh,4.32,2025-01-01,2026-01-01,,',
      'el-2z,electricity,kWh,4.32,2026-01-01,2027-01-01,,two-zone',
      'el-own,electricity,kWh,5,2027-01-01,,,"night 23:00-07:00 x0.5 | day 07:00-23:00 5.10"',
      'el-hole,electricity,kWh,5,2028-01-01,,,night 23-07 x0.5 | day 07-22 x1',
      'el-word,electricity,kWh,5,2028-01-01,,,night 23-07 cheap | day 07-23 x1',
      'el-short,electricity,kWh,5,2028-01-01,,,night x0.5',
      'heat-2z,heat,Gcal,3800,2026-01-01,,,two-zone',
    ].join('\n');
    const rows = parseTariffsCsv(csv);
    expect(rows.slice(0, 3).map((r) => (r.ok ? r.record.zones?.map((z) => z.zone).join('+') ?? 'flat' : r.error))).toEqual(['flat', 'night+day', 'night+day']);
    expect(rows.slice(3).map((r) => [r.line, r.ok ? 'ok' : r.error])).toEqual([
      [5, 'zones: the hour 22:00 is in no zone; the zones must cover the 24 hours of the day'],
      [6, 'zones: zone 1 "night": "cheap" is not a price (UAH) or a coefficient (x0.5)'],
      [7, 'zones: zone 1 ("night x0.5"): must be "name from-to [from-to …] price", e.g. "night 23:00-07:00 x0.5"; or two-zone, three-zone'],
      [8, 'zones: only electricity is priced by time of day'],
    ]);
  });

  it('the page reads hours as people write them and puts each server issue under the field it names', () => {
    expect(parseHours('08:00-11:00, 20-22')).toEqual([{ from: '08:00', to: '11:00' }, { from: '20:00', to: '22:00' }]);
    expect(parseHours('з ранку до вечора')).toBeUndefined();
    expect(parseHours('')).toBeUndefined();
    expect(errorSlotOf('zones.1.hours.0.from')).toBe('zone-1-hours-error');
    expect(errorSlotOf('zones.0.zone')).toBe('zone-0-name-error');
    expect(errorSlotOf('zones.2.priceUAH')).toBe('zone-2-coefficient-error');
    expect(errorSlotOf('zones')).toBe('tariff-zones-error');
    expect(errorSlotOf('validFrom')).toBe('tariff-from-error');
    expect(zoningOf(presetRows('three-zone'))).toBe('three-zone');
    expect(zoningOf([{ ...presetRows('two-zone')[0]!, coefficient: '0.6' }, presetRows('two-zone')[1]!])).toBe('own');
    expect(zoningOf([])).toBe('flat');
  });
});
