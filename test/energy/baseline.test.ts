import { describe, expect, it } from 'vitest';
import { heatingDegreeDays, type HourTemperature } from '../../services/energy/baseline/degree-days.ts';
import { expected, fitBaseline, type DayPoint } from '../../services/energy/baseline/regression.ts';
import { detectAboveBaseline } from '../../services/energy/anomalies/detect.ts';
import { localIntervals } from '../../services/energy/consumption/local-time.ts';

const TZ = 'Europe/Kyiv';

describe('heating degree-days', () => {
  it('a local day (25 hours on the fall-back day) gets base 18 minus its mean temperature, never below zero', () => {
    const days = localIntervals('2026-10-24', '2026-10-27', 'day', TZ);
    const hours: HourTemperature[] = [];
    for (const [i, d] of days.entries()) for (let h = d.start; h < d.end; h += 3_600_000) hours.push({ start: h, meanC: [10, 4, 25][i]! + (h === d.start ? 1 : 0) });
    const hdd = heatingDegreeDays(hours, days);
    expect(hdd.map((d) => d.hdd)).toEqual([18 - (10 + 1 / 24), 18 - (4 + 1 / 25), 0]);
    expect(heatingDegreeDays(hours, days, 15.5)[0]!.hdd).toBeCloseTo(15.5 - (10 + 1 / 24), 9);
  });

  it('a day with fewer than 18 hours of temperature has no figure', () => {
    const [day] = localIntervals('2026-01-10', '2026-01-11', 'day', TZ);
    const hours = Array.from({ length: 17 }, (_, i) => ({ start: day!.start + i * 3_600_000, meanC: -5 }));
    expect(heatingDegreeDays(hours, [day!])).toEqual([]);
  });
});

describe('degree-day baseline', () => {
  /** A year of days: outdoor temperature a seasonal sine, consumption = 40 + 12.5 × HDD + noise. */
  function year(noise: number): DayPoint[] {
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) - 0.5;
    return Array.from({ length: 365 }, (_, d) => {
      const t = 9 - 13 * Math.cos((2 * Math.PI * (d - 15)) / 365) + rand() * 6;
      const hdd = Math.max(0, 18 - t);
      return { start: d * 86_400_000, hdd, value: 40 + 12.5 * hdd + rand() * noise };
    });
  }

  it('recovers the coefficients the data was made with, and calls a year of it sufficient', () => {
    const model = fitBaseline(year(20));
    expect(model.baseload).toBeCloseTo(40, 0);
    expect(model.perHdd).toBeCloseTo(12.5, 1);
    expect(model.r2).toBeGreaterThan(0.95);
    expect(model).toMatchObject({ days: 365, sufficient: true, reasons: [] });
    expect(expected(model, [0, 10])).toBeCloseTo(2 * model.baseload + 10 * model.perHdd, 9);
  });

  it('says why a month of data or a building that does not follow the weather cannot carry a baseline', () => {
    const month = fitBaseline(year(20).slice(0, 30));
    expect(month.sufficient).toBe(false);
    expect(month.reasons[0]).toMatch(/^30 days with both consumption and temperature; at least 270/);
    const flat = fitBaseline(year(0).map((p, i) => ({ ...p, value: 100 + (i % 7) * 30 })));
    expect(flat.sufficient).toBe(false);
    expect(flat.reasons.some((r) => r.startsWith('R² '))).toBe(true);
    expect(fitBaseline([]).sufficient).toBe(false);
  });
});

describe('days far above the baseline', () => {
  const model = { baseload: 40, perHdd: 12.5, r2: 0.97, cvRmse: 0.05, days: 365, hddTotal: 3000, sufficient: true, reasons: [] };
  const day = (i: number, value: number | null) => ({ start: i * 86_400_000, end: (i + 1) * 86_400_000, value, estimated: false });
  const hdd = [0, 1, 2, 3].map((i) => ({ start: i * 86_400_000, end: (i + 1) * 86_400_000, meanC: 0, hdd: 20 }));

  it('are found above 1.3 × what the degree-days call for, with the figures', () => {
    // expected 40 + 12.5 × 20 = 290
    const found = detectAboveBaseline('HM-1', model, [day(0, 300), day(1, 290 * 1.31), day(2, null), day(3, 290 * 1.29)], hdd);
    expect(found).toEqual([{ meterId: 'HM-1', kind: 'above-baseline', start: 86_400_000, end: 172_800_000, evidence: { value: 379.9, expected: 290, ratio: 1.31, hdd: 20 } }]);
  });

  it('are not judged against a baseline the data cannot carry', () => {
    expect(detectAboveBaseline('HM-1', { ...model, sufficient: false }, [day(1, 1000)], hdd)).toEqual([]);
  });
});
