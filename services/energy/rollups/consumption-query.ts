/**
 * Answers consumption questions from the rollups: a meter's intervals, a building's (the sum of
 * its meters, per resource and unit: kWh and m3 are never added together).
 */
import type { ConsumptionInterval, ConsumptionPoint, EnergyResource, EnergyUnit } from '../../contracts/energy.ts';
import type { Device } from '../../contracts/devices.ts';
import { localIntervals, type TimeSpan } from '../consumption/local-time.ts';
import { sumIntervals, type IntervalValue } from '../consumption/registers.ts';
import type { ConsumptionRollups } from './consumption-rollups.ts';

export interface ConsumptionRequest {
  from: string;
  to: string;
  interval: ConsumptionInterval;
}

/** Values rounded to a millionth: sums of floats should not print as 12.000000000000002. */
const round = (v: number | null): number | null => (v === null ? null : Math.round(v * 1e6) / 1e6);
const iso = (ms: number): string => new Date(ms).toISOString();

/** Adds interval series of meters measuring the same thing; an interval some meter has no data for is estimated. */
export function addSeries(series: readonly IntervalValue[][]): IntervalValue[] {
  if (series.length === 0) return [];
  return series[0]!.map((first, i) => {
    let value: number | null = null;
    let estimated = false;
    let missing = false;
    for (const s of series) {
      const v = s[i]!;
      if (v.value === null) missing = true;
      else value = (value ?? 0) + v.value;
      estimated ||= v.estimated;
    }
    return { start: first.start, end: first.end, value, estimated: estimated || (missing && value !== null) };
  });
}

export interface SeriesGroup {
  resource: EnergyResource | null;
  unit: EnergyUnit;
  meterIds: string[];
  values: IntervalValue[];
}

export class ConsumptionQuery {
  constructor(private readonly rollups: ConsumptionRollups, private readonly tz: string) {}

  /** A meter's intervals (null where nothing is rolled up). */
  private series(meterId: string, spans: readonly TimeSpan[], interval: ConsumptionInterval): IntervalValue[] {
    const from = spans[0]!.start;
    const to = spans[spans.length - 1]!.end;
    const rows = interval === 'hour' ? this.rollups.hours(meterId, from, to) : this.rollups.days(meterId, from, to);
    return sumIntervals(rows, spans);
  }

  meter(device: Device, req: ConsumptionRequest): ConsumptionPoint[] {
    const spans = localIntervals(req.from, req.to, req.interval, this.tz);
    const unit = this.unitOf(device);
    return this.series(device.id, spans, req.interval).map((v) => ({ start: iso(v.start), end: iso(v.end), value: round(v.value), unit, estimated: v.estimated, resource: device.resource ?? null }));
  }

  /** The sum of the meters, one series per resource and unit, in that order. */
  building(meters: readonly Device[], req: ConsumptionRequest & { resource?: EnergyResource | undefined }): ConsumptionPoint[] {
    const spans = localIntervals(req.from, req.to, req.interval, this.tz);
    const out: ConsumptionPoint[] = [];
    for (const g of this.groups(meters, spans, req.interval, req.resource)) {
      for (const v of g.values) out.push({ start: iso(v.start), end: iso(v.end), value: round(v.value), unit: g.unit, estimated: v.estimated, resource: g.resource });
    }
    return out;
  }

  /** Interval sums of meters grouped by resource and unit (sorted by resource, then unit). */
  groups(meters: readonly Device[], spans: readonly TimeSpan[], interval: ConsumptionInterval, resource?: EnergyResource): SeriesGroup[] {
    const groups = new Map<string, { resource: EnergyResource | null; unit: EnergyUnit; meters: Device[] }>();
    for (const m of meters) {
      if (resource && m.resource !== resource) continue;
      const unit = this.unitOf(m);
      const key = `${m.resource ?? ''}|${unit}`;
      const g = groups.get(key);
      if (g) g.meters.push(m);
      else groups.set(key, { resource: m.resource ?? null, unit, meters: [m] });
    }
    return [...groups.keys()].sort().map((key) => {
      const g = groups.get(key)!;
      return { resource: g.resource, unit: g.unit, meterIds: g.meters.map((m) => m.id), values: addSeries(g.meters.map((m) => this.series(m.id, spans, interval))) };
    });
  }

  /** The unit a meter's rollups are in: the registered one, else the one its readings came in. */
  unitOf(device: Device): EnergyUnit {
    return device.unit ?? this.rollups.rulesOf(device.id)?.unit ?? 'kWh';
  }
}
