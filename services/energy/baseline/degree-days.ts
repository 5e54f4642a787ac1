/**
 * Heating degree-days from outdoor temperatures. A local day's HDD is `max(0, base − T̄)` where
 * T̄ is the mean of the day's hourly mean temperatures (base 18 °C by default). A day with fewer
 * than `MIN_HOURS_FOR_DAY` hours of temperature has no HDD (it is not guessed). Pure.
 */
export const DEFAULT_HDD_BASE_C = 18;
/** A day needs this many hours with a temperature to get a degree-day figure. */
export const MIN_HOURS_FOR_DAY = 18;

export interface HourTemperature {
  /** start of the local hour, epoch ms */
  start: number;
  /** mean temperature over the hour, °C */
  meanC: number;
}

export interface DayDegree {
  /** start of the local day, epoch ms */
  start: number;
  end: number;
  meanC: number;
  hdd: number;
}

/** HDD of each day (days as [start, end) spans in time order); days without enough hours are left out. */
export function heatingDegreeDays(hours: readonly HourTemperature[], days: readonly { start: number; end: number }[], baseC = DEFAULT_HDD_BASE_C): DayDegree[] {
  const out: DayDegree[] = [];
  let i = 0;
  for (const d of days) {
    while (i < hours.length && hours[i]!.start < d.start) i++;
    let sum = 0;
    let n = 0;
    for (let j = i; j < hours.length && hours[j]!.start < d.end; j++) {
      sum += hours[j]!.meanC;
      n++;
    }
    if (n < MIN_HOURS_FOR_DAY) continue;
    const meanC = sum / n;
    out.push({ start: d.start, end: d.end, meanC, hdd: Math.max(0, baseC - meanC) });
  }
  return out;
}
