/**
 * Consumption of a building type and of the whole city (role `energy`), per local hour, day,
 * month or year, summed from the rollups in the database; and the building types side by side
 * over a period. "The city" is every meter of a registered building.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Device } from '../../contracts/devices.ts';
import { AggregateQuery, BuildingType, ConsumptionPoint, TypeBreakdownEntry, TypeBreakdownQuery } from '../../contracts/energy.ts';
import { HttpError } from '../../http/auth.ts';
import type { DomainContext } from '../../platform/domain-module.ts';
import { toKwh } from '../baseline/indicators.ts';
import type { BuildingRecord, BuildingRepository } from '../buildings/building-repository.ts';
import { localIntervals, LocalTimeError, type TimeSpan } from '../consumption/local-time.ts';
import { toPoints, type ConsumptionQuery } from '../rollups/consumption-query.ts';
import { roundUAH } from '../tariffs/pricing.ts';

const round3 = (v: number | null): number | null => (v === null ? null : Math.round(v * 1000) / 1000);

export const aggregateRoutes =
  (deps: { ctx: DomainContext; buildings: BuildingRepository; consumption: ConsumptionQuery; flush(): void }): FastifyPluginAsyncZod =>
  async (app) => {
    const { ctx } = deps;
    const tz = ctx.city.tz;
    const energy = ctx.auth.requireRole('energy');
    /** Meters of the buildings (all registered buildings when `type` is absent). */
    const metersOfBuildings = (buildings: readonly BuildingRecord[]): Device[] => {
      const ids = new Set(buildings.map((b) => b.buildingId));
      return ctx.devices.list({ kind: 'energy-meter' }).filter((d) => d.buildingId !== null && ids.has(d.buildingId));
    };
    const spansOf = (from: string, to: string, interval: z.infer<typeof AggregateQuery>['interval']): TimeSpan[] => {
      try {
        return localIntervals(from, to, interval, tz);
      } catch (err) {
        if (err instanceof LocalTimeError) throw new HttpError(400, err.message, [{ field: err.field, reason: err.reason }]);
        throw err;
      }
    };
    const answer = (buildings: readonly BuildingRecord[], q: z.infer<typeof AggregateQuery>): ConsumptionPoint[] => {
      const spans = spansOf(q.from, q.to, q.interval);
      deps.flush();
      return toPoints(deps.consumption.aggregate(metersOfBuildings(buildings), spans, q.interval, q.resource));
    };

    app.get(
      '/api/v1/energy/city/consumption',
      {
        preHandler: energy,
        schema: {
          tags: ['energy'],
          summary: "The city's consumption (every meter of a registered building) per resource and unit, per local hour, day, month or year, with its cost",
          querystring: AggregateQuery,
          response: { 200: z.array(ConsumptionPoint) },
        },
      },
      async (req) => answer(deps.buildings.list(), req.query),
    );

    app.get(
      '/api/v1/energy/types/:type/consumption',
      {
        preHandler: energy,
        schema: {
          tags: ['energy'],
          summary: 'Consumption of every building of a type per resource and unit, per local hour, day, month or year, with its cost',
          params: z.object({ type: BuildingType }),
          querystring: AggregateQuery,
          response: { 200: z.array(ConsumptionPoint) },
        },
      },
      async (req) => answer(deps.buildings.list().filter((b) => b.type === req.params.type), req.query),
    );

    app.get(
      '/api/v1/energy/types',
      {
        preHandler: energy,
        schema: {
          tags: ['energy'],
          summary: 'Building types side by side over [from, to): consumption per resource and unit, cost, kWh/m²',
          querystring: TypeBreakdownQuery,
          response: { 200: z.array(TypeBreakdownEntry) },
        },
      },
      async (req) => {
        const spans = spansOf(req.query.from, req.query.to, 'day');
        const whole: TimeSpan[] = [{ start: spans[0]!.start, end: spans[spans.length - 1]!.end }];
        deps.flush();
        const all = deps.buildings.list();
        const out: TypeBreakdownEntry[] = [];
        for (const type of BuildingType.options) {
          const buildings = all.filter((b) => b.type === type);
          if (buildings.length === 0) continue;
          const areaM2 = buildings.reduce((s, b) => s + b.areaM2, 0);
          for (const g of deps.consumption.aggregate(metersOfBuildings(buildings), whole, 'day')) {
            const v = g.values[0]!;
            const kwh = v.value === null ? undefined : toKwh(v.value, g.unit, g.resource);
            out.push({
              type, buildings: buildings.length, areaM2, resource: g.resource, unit: g.unit, value: round3(v.value), estimated: v.estimated,
              costUAH: roundUAH(g.costs[0]!), kWhPerM2: kwh === undefined ? null : round3(kwh / areaM2),
            });
          }
        }
        return out;
      },
    );
  };
