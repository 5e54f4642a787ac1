/**
 * The monthly report (role `energy`, CSV for Excel) and the open data set of monthly consumption
 * of every building (no token: the city's open-data policy), CSV and JSON.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { BuildingCost, BuildingCostQuery, BuildingId, OpenDataQuery, OpenDataRow, ReportQuery } from '../../contracts/energy.ts';
import { HttpError } from '../../http/auth.ts';
import type { AnomalyRepository } from '../anomalies/anomaly-repository.ts';
import type { WeatherRepository } from '../baseline/weather-repository.ts';
import type { BuildingRepository } from '../buildings/building-repository.ts';
import { metersByBuilding } from '../buildings/meters-of.ts';
import { localIntervals, localMidnight, LocalTimeError } from '../consumption/local-time.ts';
import { EXCEL_UK, OPEN_DATA, toCsv } from '../reports/csv.ts';
import { monthDates, monthlyReport, REPORT_HEADER_UK, reportCells } from '../reports/monthly-report.ts';
import { roundUAH } from '../tariffs/pricing.ts';
import { buildingBaseline, type IndicatorRouteDeps } from './indicator-routes.ts';

const OPEN_DATA_COLUMNS = ['buildingId', 'name', 'type', 'areaM2', 'month', 'resource', 'unit', 'value', 'estimated', 'costUAH'] as const;

export const reportRoutes =
  (deps: IndicatorRouteDeps & { buildings: BuildingRepository; anomalies: AnomalyRepository }): FastifyPluginAsyncZod =>
  async (app) => {
    const { ctx } = deps;
    const tz = ctx.city.tz;
    const badDates = (err: unknown): never => {
      if (err instanceof LocalTimeError) throw new HttpError(400, err.message, [{ field: err.field, reason: err.reason }]);
      throw err;
    };

    app.get(
      '/api/v1/energy/reports/monthly.csv',
      {
        preHandler: ctx.auth.requireRole('energy'),
        schema: {
          tags: ['energy'],
          summary: 'Monthly report (CSV for Excel: UTF-8 with BOM, `;`, decimal comma, Ukrainian headers) of one building, or of every building and the city',
          querystring: ReportQuery,
          produces: ['text/csv'],
        },
      },
      async (req, reply) => {
        const { month, buildingId } = req.query;
        let buildings = deps.buildings.list();
        if (buildingId) {
          const b = deps.buildings.get(buildingId);
          if (!b) throw new HttpError(404, `no building "${buildingId}"`);
          buildings = [b];
        }
        const metersOf = metersByBuilding(ctx.devices);
        // Every building's baseline asks for the same hours of weather: read them once per report.
        const weather = onceEach(deps.weather);
        // The baselines (hundreds per report) price nothing.
        const unpriced = deps.consumption.withTariffs([]);
        let rows;
        try {
          rows = monthlyReport(
            {
              tz, consumption: deps.consumption, anomalies: deps.anomalies, metersOf,
              expectedOf: (b, resource, from, to) => buildingBaseline({ ...deps, consumption: unpriced, weather }, b, metersOf(b.buildingId), { from, to, resource, baseC: 18 }).period.expected,
            },
            buildings, month, !buildingId,
          );
        } catch (err) {
          return badDates(err);
        }
        const name = `energy-report-${month}${buildingId ? `-${buildingId}` : ''}.csv`;
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${name}"`)
          .send(toCsv(REPORT_HEADER_UK, reportCells(rows), EXCEL_UK));
      },
    );

    app.get(
      '/api/v1/energy/buildings/:buildingId/cost',
      {
        preHandler: ctx.auth.requireRole('energy'),
        schema: {
          tags: ['energy'],
          summary: 'A building\'s consumption and cost in a local month per resource, by tariff zone (zone null: a flat price)',
          params: z.object({ buildingId: BuildingId }),
          querystring: BuildingCostQuery,
          response: { 200: BuildingCost },
        },
      },
      async (req) => {
        const b = deps.buildings.get(req.params.buildingId);
        if (!b) throw new HttpError(404, `no building "${req.params.buildingId}"`);
        const { from, to } = monthDates(req.query.month, tz);
        const span = { start: localMidnight(from, tz), end: localMidnight(to, tz) };
        const round = (v: number) => Math.round(v * 1e6) / 1e6;
        return {
          buildingId: b.buildingId, month: req.query.month, start: new Date(span.start).toISOString(), end: new Date(span.end).toISOString(),
          resources: deps.consumption.zoneCosts(metersByBuilding(ctx.devices)(b.buildingId), span).map((r) => ({
            resource: r.resource, unit: r.unit, value: r.value === null ? null : round(r.value), costUAH: roundUAH(r.costUAH), unpriced: round(r.unpriced),
            zones: r.zones.map((z) => ({ zone: z.zone, value: round(z.value), costUAH: roundUAH(z.costUAH)! })),
          })),
        };
      },
    );

    const openData = (year: number): OpenDataRow[] => {
      const months = localIntervals(`${year}-01-01`, `${year + 1}-01-01`, 'month', tz);
      const metersOf = metersByBuilding(ctx.devices);
      const out: OpenDataRow[] = [];
      for (const b of deps.buildings.list()) {
        for (const g of deps.consumption.groups(metersOf(b.buildingId), months, 'month')) {
          g.values.forEach((v, i) => {
            if (v.value === null) return;
            out.push({
              buildingId: b.buildingId, name: b.name, type: b.type, areaM2: b.areaM2, month: `${year}-${String(i + 1).padStart(2, '0')}`,
              resource: g.resource, unit: g.unit, value: Math.round(v.value * 1000) / 1000, estimated: v.estimated, costUAH: roundUAH(g.costs[i]!),
            });
          });
        }
      }
      return out;
    };

    app.get(
      '/open-data/energy/monthly.json',
      { schema: { tags: ['open data'], summary: 'Monthly consumption and cost of every building in a year (no token)', security: [], querystring: OpenDataQuery, response: { 200: z.array(OpenDataRow) } } },
      async (req) => openData(req.query.year),
    );

    app.get(
      '/open-data/energy/monthly.csv',
      { schema: { tags: ['open data'], summary: 'Monthly consumption and cost of every building in a year, CSV (no token)', security: [], querystring: OpenDataQuery, produces: ['text/csv'] } },
      async (req, reply) =>
        reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="energy-monthly-${req.query.year}.csv"`)
          .send(toCsv(OPEN_DATA_COLUMNS, openData(req.query.year).map((r) => OPEN_DATA_COLUMNS.map((c) => r[c])), OPEN_DATA)),
    );
  };

/** The weather repository answering each span once (one report's buildings all ask for the same). */
function onceEach(weather: WeatherRepository): WeatherRepository {
  const seen = new Map<string, ReturnType<WeatherRepository['hourlyMeans']>>();
  return Object.assign(Object.create(weather) as WeatherRepository, {
    hourlyMeans(from: number, to: number) {
      const key = `${from}|${to}`;
      let temps = seen.get(key);
      if (!temps) seen.set(key, (temps = weather.hourlyMeans(from, to)));
      return temps;
    },
  });
}
