/**
 * The monthly report (role `energy`, CSV for Excel) and the open data set of monthly consumption
 * of every building (no token: the city's open-data policy), CSV and JSON.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { OpenDataQuery, OpenDataRow, ReportQuery } from '../../contracts/energy.ts';
import { HttpError } from '../../http/auth.ts';
import type { AnomalyRepository } from '../anomalies/anomaly-repository.ts';
import type { WeatherRepository } from '../baseline/weather-repository.ts';
import type { BuildingRepository } from '../buildings/building-repository.ts';
import { metersByBuilding } from '../buildings/meters-of.ts';
import { localIntervals, LocalTimeError } from '../consumption/local-time.ts';
import { EXCEL_UK, OPEN_DATA, toCsv } from '../reports/csv.ts';
import { monthlyReport, REPORT_HEADER_UK, reportCells } from '../reports/monthly-report.ts';
import { buildingBaseline, type IndicatorRouteDeps } from './indicator-routes.ts';

const OPEN_DATA_COLUMNS = ['buildingId', 'name', 'type', 'areaM2', 'month', 'resource', 'unit', 'value', 'estimated'] as const;

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
        let rows;
        try {
          rows = monthlyReport(
            {
              tz, consumption: deps.consumption, anomalies: deps.anomalies, metersOf,
              expectedOf: (b, resource, from, to) => buildingBaseline({ ...deps, weather }, b, metersOf(b.buildingId), { from, to, resource, baseC: 18 }).period.expected,
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
              resource: g.resource, unit: g.unit, value: Math.round(v.value * 1000) / 1000, estimated: v.estimated,
            });
          });
        }
      }
      return out;
    };

    app.get(
      '/open-data/energy/monthly.json',
      { schema: { tags: ['open data'], summary: 'Monthly consumption of every building in a year (no token)', security: [], querystring: OpenDataQuery, response: { 200: z.array(OpenDataRow) } } },
      async (req) => openData(req.query.year),
    );

    app.get(
      '/open-data/energy/monthly.csv',
      { schema: { tags: ['open data'], summary: 'Monthly consumption of every building in a year, CSV (no token)', security: [], querystring: OpenDataQuery, produces: ['text/csv'] } },
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
