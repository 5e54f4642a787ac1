import { describe, expect, it } from 'vitest';
import { localIntervals, localMidnight } from '../../services/energy/consumption/local-time.ts';
import { parseTariffsCsv } from '../../services/energy/imports/tariffs-csv.ts';
import { addCosts, costOfSpans, overlappingTariff, priceFor, unitFactor, type TariffTerms } from '../../services/energy/tariffs/pricing.ts';

const TZ = 'Europe/Kyiv';
const H = 3_600_000;
const el = (tariffId: string, validFrom: string, validTo: string | null, priceUAH: number): TariffTerms => ({ tariffId, resource: 'electricity', unit: 'kWh', priceUAH, validFrom, validTo });

describe('tariffs and cost (pure)', () => {
  it('a tariff changes at local midnight, not UTC midnight; outside every tariff there is no price', () => {
    const price = priceFor([el('a', '2025-01-01', '2025-11-01', 4), el('b', '2025-11-01', null, 5)], 'electricity', 'kWh', TZ);
    const midnight = localMidnight('2025-11-01', TZ); // 2025-10-31T22:00Z
    expect(new Date(midnight).toISOString()).toBe('2025-10-31T22:00:00.000Z');
    expect(price(midnight - H)).toBe(4);
    expect(price(midnight)).toBe(5);
    expect(price(Date.parse('2030-06-01T00:00:00Z'))).toBe(5);
    expect(price(localMidnight('2024-12-31', TZ))).toBeUndefined();
    // another resource's tariffs do not price electricity
    expect(priceFor([{ ...el('w', '2025-01-01', null, 30), resource: 'water', unit: 'm3' }], 'electricity', 'kWh', TZ)(midnight)).toBeUndefined();
  });

  it('converts the price to the unit the meter counts in (Gcal ↔ kWh, gas m3 ↔ kWh); water m3 is not kWh', () => {
    expect(unitFactor('kWh', 'kWh', 'electricity')).toBe(1);
    expect(unitFactor('Gcal', 'kWh', 'heat')).toBeCloseTo(1163, 6);
    expect(unitFactor('kWh', 'Gcal', 'heat')).toBeCloseTo(1 / 1163, 9);
    expect(unitFactor('m3', 'kWh', 'gas')).toBeCloseTo(9.3, 9);
    expect(unitFactor('kWh', 'm3', 'gas')).toBeCloseTo(1 / 9.3, 9);
    expect(unitFactor('m3', 'kWh', 'water')).toBeUndefined();
    const heat: TariffTerms = { tariffId: 'h', resource: 'heat', unit: 'Gcal', priceUAH: 3000, validFrom: '2025-01-01', validTo: null };
    expect(priceFor([heat], 'heat', 'kWh', TZ)(localMidnight('2025-02-01', TZ))).toBeCloseTo(3000 / 1163, 9);
  });

  it('costs each span from its hours or days; a span with unpriced consumption has no cost, one without consumption neither', () => {
    const days = localIntervals('2025-10-30', '2025-11-03', 'day', TZ);
    const rows = days.slice(0, 3).map((d, i) => ({ start: d.start, value: 10 + i, estimated: false }));
    const price = priceFor([el('a', '2025-01-01', '2025-11-01', 4), el('b', '2025-11-01', null, 5)], 'electricity', 'kWh', TZ);
    expect(costOfSpans(rows, days, price)).toEqual([40, 44, 60, null]);
    const months = localIntervals('2025-10-01', '2025-12-01', 'month', TZ);
    expect(costOfSpans(rows, months, price)).toEqual([84, 60]);
    const onlyNovember = priceFor([el('b', '2025-11-01', null, 5)], 'electricity', 'kWh', TZ);
    expect(costOfSpans(rows, months, onlyNovember)).toEqual([null, 60]);
    // no consumption on an unpriced day is no reason to refuse a cost
    expect(costOfSpans([{ start: days[0]!.start, value: 0, estimated: false }, rows[2]!], [{ start: days[0]!.start, end: days[3]!.end }], onlyNovember)).toEqual([60]);
  });

  it('adds meters\u2019 costs: a meter with consumption and no cost makes the sum unknown', () => {
    expect(addCosts([[1, null, 2], [3, null, null]], [[true, false, true], [true, false, false]])).toEqual([4, null, 2]);
    expect(addCosts([[1], [null]], [[true], [true]])).toEqual([null]);
  });

  it('finds an overlapping tariff of the same resource; touching dates and other resources do not overlap', () => {
    const kept = [el('a', '2025-01-01', '2025-07-01', 4), el('b', '2025-07-01', null, 5)];
    expect(overlappingTariff(kept, el('c', '2024-01-01', '2025-01-01', 3))).toBeUndefined();
    expect(overlappingTariff(kept, el('c', '2024-01-01', '2025-01-02', 3))?.tariffId).toBe('a');
    expect(overlappingTariff(kept, el('c', '2030-01-01', null, 3))?.tariffId).toBe('b');
    expect(overlappingTariff(kept, el('a', '2025-02-01', '2025-07-01', 4))).toBeUndefined(); // itself, replaced
    expect(overlappingTariff(kept, { ...el('g', '2025-01-01', null, 12), resource: 'gas', unit: 'm3' })).toBeUndefined();
  });

  it('reads a tariff CSV row by row, naming the field of each refusal', () => {
    const rows = parseTariffsCsv(
      [
        'tariffId;resource;unit;priceUAH;validFrom;validTo;note',
        'el-2025;electricity;kWh;"4,32";2025-01-01;2026-01-01;бюджетні установи',
        'water;water;kWh;30;2025-01-01;;',
        'gas;gas;m3;12;2025-03-01;2025-02-01;',
        'bad id!;heat;Gcal;3000;2025-01-01;;',
        'heat;heat;Gcal;lots;2025-01-01;;',
      ].join('\n'),
    );
    expect(rows[0]).toMatchObject({ line: 2, id: 'el-2025', ok: true, record: { resource: 'electricity', unit: 'kWh', priceUAH: 4.32, validFrom: '2025-01-01', validTo: '2026-01-01', note: 'бюджетні установи' } });
    expect(rows.slice(1).map((r) => [r.line, r.ok ? 'ok' : r.error.split(':')[0]])).toEqual([[3, 'unit'], [4, 'validTo'], [5, 'tariffId'], [6, 'priceUAH']]);
    expect(() => parseTariffsCsv('tariffId,resource,unit,priceUAH\n')).toThrow(/validFrom/);
    expect(() => parseTariffsCsv('tariffId,resource,unit,priceUAH,validFrom,colour\n')).toThrow(/colour/);
  });
});
