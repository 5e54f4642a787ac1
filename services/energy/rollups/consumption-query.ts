/**
 * Answers consumption questions from the rollups: a meter's intervals, a building's (the sum of
 * its meters, per resource and unit: kWh and m3 are never added together).
 */
import type { AggregateInterval, ConsumptionInterval, ConsumptionPoint, EnergyResource, EnergyUnit } from '../../contracts/energy.ts';
import type { Device } from '../../contracts/devices.ts';
import { localIntervals, type TimeSpan } from '../consumption/local-time.ts';
import { sumIntervals, type HourValue, type IntervalValue } from '../consumption/registers.ts';
import { addCosts, costByZone, costOfSpans, priceFor, pricedByHour, roundUAH, zonePriceFor, type TariffTerms, type ZoneCostFigures } from '../tariffs/pricing.ts';
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

/** Groups as the REST answer: the intervals of each group, one group after another. */
export function toPoints(groups: readonly SeriesGroup[]): ConsumptionPoint[] {
  const out: ConsumptionPoint[] = [];
  for (const g of groups) {
    g.values.forEach((v, i) => out.push({ start: iso(v.start), end: iso(v.end), value: round(v.value), unit: g.unit, estimated: v.estimated, resource: g.resource, costUAH: roundUAH(g.costs[i]!) }));
  }
  return out;
}

export interface SeriesGroup {
  resource: EnergyResource | null;
  unit: EnergyUnit;
  meterIds: string[];
  values: IntervalValue[];
  /** cost of each interval in UAH by the tariffs (see ../tariffs/pricing.ts) */
  costs: (number | null)[];
}

/** Where the tariffs come from (held in memory, read per question: they are few). */
export interface TariffSource {
  list(): TariffTerms[];
}

export class ConsumptionQuery {
  constructor(private readonly rollups: ConsumptionRollups, private readonly tz: string, private readonly tariffs: TariffSource = { list: () => [] }) {}

  /**
   * The same query priced with a fixed list of tariffs: a baseline, which uses no cost, passes
   * `[]` and prices nothing (a city report fits hundreds of them).
   */
  withTariffs(tariffs: readonly TariffTerms[]): ConsumptionQuery {
    const fixed = [...tariffs];
    return new ConsumptionQuery(this.rollups, this.tz, { list: () => fixed });
  }

  /** A meter's intervals (null where nothing is rolled up) and their cost. */
  private series(meter: Device, spans: readonly TimeSpan[], interval: ConsumptionInterval, tariffs: readonly TariffTerms[]): { values: IntervalValue[]; costs: (number | null)[] } {
    const from = spans[0]!.start;
    const to = spans[spans.length - 1]!.end;
    const rows = interval === 'hour' ? this.rollups.hours(meter.id, from, to) : this.rollups.days(meter.id, from, to);
    // A time-of-day tariff prices hours, not days: its days are costed from the hourly rollups.
    const priced = interval !== 'hour' && pricedByHour(tariffs, meter.resource ?? null, from, to, this.tz) ? this.rollups.hours(meter.id, from, to) : rows;
    return { values: sumIntervals(rows, spans), costs: this.costs(priced, spans, meter.resource ?? null, this.unitOf(meter), tariffs) };
  }

  /** Cost of each span from the rolled-up rows of one resource counted in one unit. */
  costs(rows: readonly HourValue[], spans: readonly TimeSpan[], resource: EnergyResource | null, unit: EnergyUnit, tariffs: readonly TariffTerms[] = this.tariffs.list()): (number | null)[] {
    return costOfSpans(rows, spans, priceFor(tariffs, resource, unit, this.tz));
  }

  meter(device: Device, req: ConsumptionRequest): ConsumptionPoint[] {
    const spans = localIntervals(req.from, req.to, req.interval, this.tz);
    const unit = this.unitOf(device);
    const { values, costs } = this.series(device, spans, req.interval, this.tariffs.list());
    return values.map((v, i) => ({ start: iso(v.start), end: iso(v.end), value: round(v.value), unit, estimated: v.estimated, resource: device.resource ?? null, costUAH: roundUAH(costs[i]!) }));
  }

  /** The sum of the meters, one series per resource and unit, in that order. */
  building(meters: readonly Device[], req: ConsumptionRequest & { resource?: EnergyResource | undefined }): ConsumptionPoint[] {
    const spans = localIntervals(req.from, req.to, req.interval, this.tz);
    return toPoints(this.groups(meters, spans, req.interval, req.resource));
  }

  /** Interval sums of meters grouped by resource and unit (sorted by resource, then unit). */
  groups(meters: readonly Device[], spans: readonly TimeSpan[], interval: ConsumptionInterval, resource?: EnergyResource): SeriesGroup[] {
    const tariffs = this.tariffs.list();
    return this.byResourceAndUnit(meters, resource).map((g) => {
      const series = g.meters.map((m) => this.series(m, spans, interval, tariffs));
      return {
        resource: g.resource, unit: g.unit, meterIds: g.meters.map((m) => m.id),
        values: addSeries(series.map((s) => s.values)),
        costs: addCosts(series.map((s) => s.costs), series.map((s) => s.values.map((v) => v.value !== null))),
      };
    });
  }

  /**
   * The sum of many meters (a building type, the city) per resource and unit, from the rollups
   * summed in the database (hours for hour intervals, days for the rest): no per-meter series.
   */
  aggregate(meters: readonly Device[], spans: readonly TimeSpan[], interval: AggregateInterval, resource?: EnergyResource): SeriesGroup[] {
    const from = spans[0]!.start;
    const to = spans[spans.length - 1]!.end;
    const tariffs = this.tariffs.list();
    return this.byResourceAndUnit(meters, resource).map((g) => {
      const ids = g.meters.map((m) => m.id);
      const rows = this.rollups.sumOf(ids, interval === 'hour' ? 'hour' : 'day', from, to);
      const priced = interval !== 'hour' && pricedByHour(tariffs, g.resource, from, to, this.tz) ? this.rollups.sumOf(ids, 'hour', from, to) : rows;
      return { resource: g.resource, unit: g.unit, meterIds: ids, values: sumIntervals(rows, spans), costs: this.costs(priced, spans, g.resource, g.unit, tariffs) };
    });
  }

  /**
   * A span's consumption and cost of the meters per resource and unit, by tariff zone (zone null:
   * hours at a flat price), from the meters' hourly rollups.
   */
  zoneCosts(meters: readonly Device[], span: TimeSpan): ({ resource: EnergyResource | null; unit: EnergyUnit } & ZoneCostFigures)[] {
    const tariffs = this.tariffs.list();
    return this.byResourceAndUnit(meters).map((g) => {
      const hours = this.rollups.sumOf(g.meters.map((m) => m.id), 'hour', span.start, span.end);
      return { resource: g.resource, unit: g.unit, ...costByZone(hours, span, zonePriceFor(tariffs, g.resource, g.unit, this.tz)) };
    });
  }

  /** Meters grouped by resource and unit (kWh and m3 are never added), sorted by resource, then unit. */
  private byResourceAndUnit(meters: readonly Device[], resource?: EnergyResource): { resource: EnergyResource | null; unit: EnergyUnit; meters: Device[] }[] {
    const groups = new Map<string, { resource: EnergyResource | null; unit: EnergyUnit; meters: Device[] }>();
    for (const m of meters) {
      if (resource && m.resource !== resource) continue;
      const unit = this.unitOf(m);
      const key = `${m.resource ?? ''}|${unit}`;
      const g = groups.get(key);
      if (g) g.meters.push(m);
      else groups.set(key, { resource: m.resource ?? null, unit, meters: [m] });
    }
    return [...groups.keys()].sort().map((key) => groups.get(key)!);
  }

  /** The unit a meter's rollups are in: the registered one, else the one its readings came in. */
  unitOf(device: Device): EnergyUnit {
    return device.unit ?? this.rollups.rulesOf(device.id)?.unit ?? 'kWh';
  }
}
