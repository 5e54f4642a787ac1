/**
 * A degree-day baseline: daily consumption = baseload + slope × HDD, fitted by ordinary least
 * squares (IPMVP Option C, the daily model of CalTRACK), with R², CV(RMSE) and a verdict on
 * whether the data can carry it. Pure.
 */

export interface DayPoint {
  start: number;
  /** the day's heating degree-days */
  hdd: number;
  /** the day's consumption */
  value: number;
}

export interface BaselineModel {
  /** consumption per day at 0 HDD */
  baseload: number;
  /** consumption per heating degree-day */
  perHdd: number;
  r2: number;
  /** coefficient of variation of the RMSE, 0–1 */
  cvRmse: number;
  days: number;
  hddTotal: number;
  sufficient: boolean;
  /** why not, each reason a sentence */
  reasons: string[];
}

/** Data-sufficiency rules (documented in docs/energy.md). */
export const SUFFICIENCY = {
  /** days with both consumption and temperature */
  minDays: 270,
  /** days with HDD > 0: the slope needs heating days */
  minHeatingDays: 60,
  /** ASHRAE Guideline 14 for daily data asks CV(RMSE) ≤ 30 %; R² is reported beside it */
  maxCvRmse: 0.3,
  minR2: 0.75,
} as const;

export function fitBaseline(points: readonly DayPoint[]): BaselineModel {
  const n = points.length;
  const reasons: string[] = [];
  if (n < 2) {
    return { baseload: n ? points[0]!.value : 0, perHdd: 0, r2: 0, cvRmse: 1, days: n, hddTotal: n ? points[0]!.hdd : 0, sufficient: false, reasons: [`${n} day(s) with both consumption and temperature; at least ${SUFFICIENCY.minDays} are needed`] };
  }
  let sx = 0, sy = 0;
  for (const p of points) {
    sx += p.hdd;
    sy += p.value;
  }
  const mx = sx / n;
  const my = sy / n;
  let sxx = 0, sxy = 0, syy = 0;
  for (const p of points) {
    sxx += (p.hdd - mx) ** 2;
    sxy += (p.hdd - mx) * (p.value - my);
    syy += (p.value - my) ** 2;
  }
  const perHdd = sxx > 0 ? sxy / sxx : 0;
  const baseload = my - perHdd * mx;
  let sse = 0;
  for (const p of points) sse += (p.value - (baseload + perHdd * p.hdd)) ** 2;
  const r2 = syy > 0 ? 1 - sse / syy : 0;
  const cvRmse = my !== 0 ? Math.sqrt(sse / Math.max(1, n - 2)) / Math.abs(my) : 1;
  const heatingDays = points.filter((p) => p.hdd > 0).length;
  if (n < SUFFICIENCY.minDays) reasons.push(`${n} days with both consumption and temperature; at least ${SUFFICIENCY.minDays} are needed`);
  if (heatingDays < SUFFICIENCY.minHeatingDays) reasons.push(`${heatingDays} heating days (HDD > 0); at least ${SUFFICIENCY.minHeatingDays} are needed`);
  if (r2 < SUFFICIENCY.minR2) reasons.push(`R² ${r2.toFixed(2)} is below ${SUFFICIENCY.minR2}`);
  if (cvRmse > SUFFICIENCY.maxCvRmse) reasons.push(`CV(RMSE) ${(cvRmse * 100).toFixed(0)} % is above ${SUFFICIENCY.maxCvRmse * 100} %`);
  return { baseload, perHdd, r2, cvRmse, days: n, hddTotal: sx, sufficient: reasons.length === 0, reasons };
}

/** What the baseline expects over days with the given HDD. */
export function expected(model: Pick<BaselineModel, 'baseload' | 'perHdd'>, hdds: readonly number[]): number {
  let sum = 0;
  for (const h of hdds) sum += model.baseload + model.perHdd * h;
  return sum;
}
