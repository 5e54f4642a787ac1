/**
 * Indicators of buildings (role `energy`): the degree-day baseline of a building with the period
 * against it and against the same dates a year earlier, and the ranking of buildings by kWh/m².
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { DateTime } from 'luxon';
import { z } from 'zod';
import type { Device } from '../../contracts/devices.ts';
import { BaselineQuery, BaselineReport, BuildingId, RankingEntry, RankingQuery, type EnergyResource } from '../../contracts/energy.ts';
import { HttpError } from '../../http/auth.ts';
import type { DomainContext } from '../../platform/domain-module.ts';
import { heatingDegreeDays } from '../baseline/degree-days.ts';
import { changePct, pairDays, toKwh, total } from '../baseline/indicators.ts';
import { expected, fitBaseline } from '../baseline/regression.ts';
import type { WeatherRepository } from '../baseline/weather-repository.ts';
import type { BuildingRecord, BuildingRepository } from '../buildings/building-repository.ts';
import { metersByBuilding } from '../buildings/meters-of.ts';
import { localIntervals, LocalTimeError, type TimeSpan } from '../consumption/local-time.ts';
import type { ConsumptionQuery } from '../rollups/consumption-query.ts';
import { roundUAH } from '../tariffs/pricing.ts';

export interface IndicatorRouteDeps {
  ctx: DomainContext;
  buildings: BuildingRepository;
  consumption: ConsumptionQuery;
  weather: WeatherRepository;
}

const round = (v: number | null, digits = 6): number | null => (v === null ? null : Math.round(v * 10 ** digits) / 10 ** digits);
const yearBefore = (date: string, tz: string): string => DateTime.fromISO(date, { zone: tz }).minus({ years: 1 }).toISODate()!;

export const indicatorRoutes =
  (deps: IndicatorRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { ctx } = deps;
    const tz = ctx.city.tz;
    const energy = ctx.auth.requireRole('energy');
    const metersOf = (buildingId: string) => ctx.devices.list({ kind: 'energy-meter' }).filter((d) => d.buildingId === buildingId);
    const spansOrBadRequest = (from: string, to: string): TimeSpan[] => {
      try {
        return localIntervals(from, to, 'day', tz);
      } catch (err) {
        if (err instanceof LocalTimeError) throw new HttpError(400, err.message, [{ field: err.field, reason: err.reason }]);
        throw err;
      }
    };

    app.get(
      '/api/v1/energy/buildings/:buildingId/baseline',
      {
        preHandler: energy,
        schema: {
          tags: ['energy'],
          summary: 'Degree-day baseline of a building (fitted on the year before `from`), the period against it and against a year earlier',
          params: z.object({ buildingId: BuildingId }),
          querystring: BaselineQuery,
          response: { 200: BaselineReport },
        },
      },
      async (req) => {
        const building = deps.buildings.get(req.params.buildingId);
        if (!building) throw new HttpError(404, `no building "${req.params.buildingId}"`);
        try {
          return buildingBaseline(deps, building, metersOf(building.buildingId), req.query);
        } catch (err) {
          if (err instanceof LocalTimeError) throw new HttpError(400, err.message, [{ field: err.field, reason: err.reason }]);
          throw err;
        }
      },
    );

    app.get(
      '/api/v1/energy/ranking',
      {
        preHandler: energy,
        schema: {
          tags: ['energy'],
          summary: 'Buildings ranked by energy (electricity, heat, gas in kWh) per m² of heated area over [from, to), highest first',
          querystring: RankingQuery,
          response: { 200: z.array(RankingEntry) },
        },
      },
      async (req) => {
        const spans = spansOrBadRequest(req.query.from, req.query.to);
        // One span for the whole period: the rollups' days are summed once per meter.
        const whole: TimeSpan[] = [{ start: spans[0]!.start, end: spans[spans.length - 1]!.end }];
        const metersOfAll = metersByBuilding(ctx.devices);
        const entries: RankingEntry[] = deps.buildings.list().map((b) => {
          let kwh: number | null = null;
          let water: number | null = null;
          let estimated = false;
          let cost: number | null = null;
          let unpriced = false;
          for (const g of deps.consumption.groups(metersOfAll(b.buildingId), whole, 'day')) {
            const v = g.values[0]!;
            if (v.value === null) continue;
            estimated ||= v.estimated;
            if (g.costs[0] === null) unpriced = true;
            else cost = (cost ?? 0) + g.costs[0]!;
            const k = toKwh(v.value, g.unit, g.resource);
            if (k !== undefined) kwh = (kwh ?? 0) + k;
            else if (g.unit === 'm3') water = (water ?? 0) + v.value;
          }
          return {
            buildingId: b.buildingId, name: b.name, type: b.type, areaM2: b.areaM2,
            energyKWh: round(kwh, 3), kWhPerM2: kwh === null ? null : round(kwh / b.areaM2, 3), waterM3: round(water, 3), estimated,
            costUAH: unpriced ? null : roundUAH(cost),
          };
        });
        return entries.sort((a, b) => (b.kWhPerM2 ?? -1) - (a.kWhPerM2 ?? -1) || a.buildingId.localeCompare(b.buildingId));
      },
    );
  };

/**
 * A building's baseline report: the model fitted on the year before `from`, the period
 * [from, to) against it and against the same dates a year earlier. Throws LocalTimeError for bad dates.
 */
export function buildingBaseline(
  deps: Pick<IndicatorRouteDeps, 'ctx' | 'consumption' | 'weather'>,
  building: BuildingRecord,
  meters: readonly Device[],
  q: { from: string; to: string; resource: EnergyResource; baseC: number },
): BaselineReport {
  const tz = deps.ctx.city.tz;
  const { from, to, resource, baseC } = q;
  const period = localIntervals(from, to, 'day', tz);
  const baseFrom = yearBefore(from, tz);
  const lastYearTo = yearBefore(to, tz);
  const baseline = localIntervals(baseFrom, from, 'day', tz);
  const lastYear = localIntervals(baseFrom, lastYearTo, 'day', tz);
  // The resource's unit with the most meters (a building rarely has two units for one resource).
  const pick = (spans: TimeSpan[]) => deps.consumption.groups(meters, spans, 'day', resource).sort((a, b) => b.meterIds.length - a.meterIds.length)[0];
  const periodGroup = pick(period);
  const baselineGroup = pick(baseline);
  const lastYearGroup = pick(lastYear);
  const temps = deps.weather.hourlyMeans(lastYear[0]!.start, period[period.length - 1]!.end);
  const hddBaseline = heatingDegreeDays(temps, baseline, baseC);
  const hddPeriod = heatingDegreeDays(temps, period, baseC);
  const hddLastYear = heatingDegreeDays(temps, lastYear, baseC);
  const points = baselineGroup ? pairDays(baselineGroup.values, hddBaseline) : [];
  const model = fitBaseline(points);
  const meanDay = points.length ? points.reduce((s, p) => s + p.value, 0) / points.length : 0;
  const rmse = model.cvRmse * Math.abs(meanDay);
  const hddByDay = new Map(hddPeriod.map((d) => [d.start, d.hdd]));
  const daily = period.map((d) => {
    const hdd = hddByDay.get(d.start);
    const e = hdd === undefined || model.days < 2 ? null : expected(model, [hdd]);
    return {
      start: new Date(d.start).toISOString(),
      hdd: hdd === undefined ? null : round(hdd, 3),
      expected: round(e),
      low: e === null ? null : round(Math.max(0, e - rmse)),
      high: e === null ? null : round(e + rmse),
    };
  });
  const actual = periodGroup ? total(periodGroup.values) : { value: null, estimated: false };
  const before = lastYearGroup ? total(lastYearGroup.values) : { value: null, estimated: false };
  const expectedValue = model.days >= 2 && hddPeriod.length ? expected(model, hddPeriod.map((d) => d.hdd)) : null;
  const sumHdd = (days: { hdd: number }[]) => round(days.reduce((s, d) => s + d.hdd, 0), 3)!;
  return {
    buildingId: building.buildingId,
    resource,
    unit: periodGroup?.unit ?? baselineGroup?.unit ?? null,
    baseC,
    model: {
      from: baseFrom, to: from,
      baseload: round(model.baseload)!, perHdd: round(model.perHdd)!, r2: round(model.r2, 4)!, cvRmse: round(model.cvRmse, 4)!,
      days: model.days, sufficient: model.sufficient, reasons: model.reasons,
    },
    period: {
      from, to, actual: round(actual.value), hdd: sumHdd(hddPeriod), days: period.length, daysWithTemperature: hddPeriod.length, estimated: actual.estimated,
      expected: round(expectedValue), deviationPct: round(changePct(actual.value, expectedValue), 2),
    },
    lastYear: {
      from: baseFrom, to: lastYearTo, actual: round(before.value), hdd: sumHdd(hddLastYear), days: lastYear.length, daysWithTemperature: hddLastYear.length,
      estimated: before.estimated, changePct: round(changePct(actual.value, before.value), 2),
    },
    perM2: actual.value === null ? null : round(actual.value / building.areaM2, 4),
    daily,
  };
}
