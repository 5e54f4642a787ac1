import { DateTime } from 'luxon';
import type { DeviceReader } from '../../platform/domain-module.ts';
import { heatingDegreeDays } from '../baseline/degree-days.ts';
import { pairDays } from '../baseline/indicators.ts';
import { fitBaseline } from '../baseline/regression.ts';
import type { WeatherRepository } from '../baseline/weather-repository.ts';
import { localDate, localIntervals } from '../consumption/local-time.ts';
import { sumIntervals } from '../consumption/registers.ts';
import type { ConsumptionRollups } from '../rollups/consumption-rollups.ts';
import type { AnomalyRepository } from './anomaly-repository.ts';
import { detectAboveBaseline, detectDayAnomalies, detectSilence, REFERENCE_DAYS, type AnomalyFinding } from './detect.ts';

/** How often the hub looks for anomalies of the last complete days and for silent meters. */
export const SCAN_EVERY_MS = 15 * 60_000;

/** Runs the detectors over the rollups of every energy meter and keeps what they find. */
export class AnomalyScanner {
  constructor(private readonly deps: { devices: DeviceReader; rollups: ConsumptionRollups; repo: AnomalyRepository; weather: WeatherRepository; tz: string; now: () => number }) {}

  /** Complete local days [from, to); returns how many anomalies are new. */
  async scanDays(from: string, to: string): Promise<number> {
    const { tz, rollups } = this.deps;
    const scan = localIntervals(from, to, 'day', tz);
    const refFrom = DateTime.fromISO(from, { zone: tz }).minus({ days: REFERENCE_DAYS }).toISODate()!;
    const reference = localIntervals(refFrom, from, 'day', tz);
    const findings: (AnomalyFinding & { buildingId: string | null })[] = [];
    for (const meter of this.deps.devices.list({ kind: 'energy-meter' })) {
      const hours = rollups.hours(meter.id, reference[0]!.start, scan[scan.length - 1]!.end);
      if (hours.length === 0) continue;
      for (const f of detectDayAnomalies(meter.id, meter.resource ?? null, hours, reference, scan, tz)) findings.push({ ...f, buildingId: meter.buildingId });
      if (meter.resource === 'heat' || meter.resource === 'gas') {
        for (const f of this.aboveBaseline(meter.id, from, scan)) findings.push({ ...f, buildingId: meter.buildingId });
      }
    }
    return this.deps.repo.record(findings);
  }

  /** Days of a heat or gas meter far above its degree-day baseline, fitted on the year before `from`. */
  private aboveBaseline(meterId: string, from: string, scan: ReturnType<typeof localIntervals>): AnomalyFinding[] {
    const { tz, rollups, weather } = this.deps;
    const baseline = localIntervals(DateTime.fromISO(from, { zone: tz }).minus({ years: 1 }).toISODate()!, from, 'day', tz);
    const end = scan[scan.length - 1]!.end;
    const days = rollups.days(meterId, baseline[0]!.start, end);
    if (days.length === 0) return [];
    const temps = weather.hourlyMeans(baseline[0]!.start, end);
    const model = fitBaseline(pairDays(sumIntervals(days, baseline), heatingDegreeDays(temps, baseline)));
    return detectAboveBaseline(meterId, model, sumIntervals(days, scan), heatingDegreeDays(temps, scan));
  }

  /** Meters whose last reading is too old. */
  async scanSilence(): Promise<number> {
    const now = this.deps.now();
    const findings: (AnomalyFinding & { buildingId: string | null })[] = [];
    for (const meter of this.deps.devices.list({ kind: 'energy-meter' })) {
      if (!meter.enabled) continue;
      const f = detectSilence(meter.id, this.deps.rollups.lastReading(meter.id), now);
      if (f) findings.push({ ...f, buildingId: meter.buildingId });
    }
    return this.deps.repo.record(findings);
  }

  /** The two last complete local days, and silence: what the timer runs. */
  async scanRecent(): Promise<number> {
    const today = localDate(this.deps.now(), this.deps.tz);
    const twoDaysAgo = DateTime.fromISO(today, { zone: this.deps.tz }).minus({ days: 2 }).toISODate()!;
    return (await this.scanDays(twoDaysAgo, today)) + (await this.scanSilence());
  }
}
