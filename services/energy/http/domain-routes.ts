/**
 * REST of the energy domain (role `energy`): buildings, consumption of meters and buildings,
 * CSV imports of buildings and of readings. Thin: parsing is in ../imports, computing in
 * ../consumption and ../rollups.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Device } from '../../contracts/devices.ts';
import { Building, BuildingId, BuildingPut, ConsumptionPoint, ConsumptionQuery, EnergyImportResult } from '../../contracts/energy.ts';
import { HttpError } from '../../http/auth.ts';
import type { DomainContext } from '../../platform/domain-module.ts';
import type { BuildingRecord, BuildingRepository } from '../buildings/building-repository.ts';
import { LocalTimeError } from '../consumption/local-time.ts';
import { parseBuildingsCsv } from '../imports/buildings-csv.ts';
import { CsvFileError, parseReadingsCsv } from '../imports/readings-csv.ts';
import type { ConsumptionQuery as Consumption } from '../rollups/consumption-query.ts';

export interface EnergyRouteDeps {
  ctx: DomainContext;
  buildings: BuildingRepository;
  consumption: Consumption;
  /** Rolls up what is waiting, so an answer right after an import includes it. */
  flush(): void;
}

const BuildingParams = z.object({ buildingId: BuildingId });
const MeterParams = z.object({ meterId: z.string().max(64) });

export const energyDomainRoutes =
  (deps: EnergyRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const { ctx } = deps;
    const energy = ctx.auth.requireRole('energy');
    const metersOf = (buildingId: string): Device[] => ctx.devices.list({ kind: 'energy-meter' }).filter((d) => d.buildingId === buildingId);
    const view = (b: BuildingRecord): Building => ({ ...b, meterIds: metersOf(b.buildingId).map((d) => d.id) });
    const badRequest = (err: unknown): never => {
      if (err instanceof LocalTimeError || err instanceof CsvFileError) throw new HttpError(400, err.message, [{ field: err.field, reason: err.reason }]);
      throw err;
    };
    const csvBody = (body: unknown): string => {
      if (typeof body !== 'string') throw new HttpError(415, 'send the CSV as text/csv');
      return body;
    };

    app.get('/api/v1/energy/buildings', { preHandler: energy, schema: { tags: ['energy'], summary: 'Every building', response: { 200: z.array(Building) } } }, async () =>
      deps.buildings.list().map(view),
    );

    app.get('/api/v1/energy/buildings/:buildingId', { preHandler: energy, schema: { tags: ['energy'], params: BuildingParams, response: { 200: Building } } }, async (req) => {
      const b = deps.buildings.get(req.params.buildingId);
      if (!b) throw new HttpError(404, `no building "${req.params.buildingId}"`);
      return view(b);
    });

    app.put(
      '/api/v1/energy/buildings/:buildingId',
      { preHandler: energy, schema: { tags: ['energy'], summary: 'Create or replace a building', params: BuildingParams, body: BuildingPut, response: { 200: Building, 201: Building } } },
      async (req, reply) => {
        const { building, created } = await deps.buildings.put(req.params.buildingId, req.body);
        ctx.audit.record(req.principal!.name, created ? 'energy.building.create' : 'energy.building.update', building.buildingId, req.body);
        return reply.status(created ? 201 : 200).send(view(building));
      },
    );

    app.delete('/api/v1/energy/buildings/:buildingId', { preHandler: energy, schema: { tags: ['energy'], params: BuildingParams } }, async (req, reply) => {
      if (!(await deps.buildings.remove(req.params.buildingId))) throw new HttpError(404, `no building "${req.params.buildingId}"`);
      ctx.audit.record(req.principal!.name, 'energy.building.delete', req.params.buildingId);
      return reply.status(204).send();
    });

    app.post(
      '/api/v1/energy/buildings/import',
      {
        preHandler: energy,
        schema: {
          tags: ['energy'],
          summary: 'Buildings from CSV (text/csv): buildingId,name,type,areaM2,address,lat,lon; answered row by row',
          response: { 200: EnergyImportResult },
        },
      },
      async (req) => {
        let rows;
        try {
          rows = parseBuildingsCsv(csvBody(req.body));
        } catch (err) {
          return badRequest(err);
        }
        const result: EnergyImportResult = { accepted: 0, refused: 0, rows: [] };
        for (const row of rows) {
          if (!row.ok) {
            result.refused++;
            result.rows.push({ line: row.line, id: row.id, status: 'refused', error: row.error });
            continue;
          }
          await deps.buildings.put(row.id!, row.record);
          result.accepted++;
          result.rows.push({ line: row.line, id: row.id, status: 'accepted' });
        }
        ctx.audit.record(req.principal!.name, 'energy.building.import', null, { accepted: result.accepted, refused: result.refused });
        return result;
      },
    );

    app.post(
      '/api/v1/energy/readings/import',
      {
        preHandler: energy,
        schema: {
          tags: ['energy'],
          summary: 'Register readings from CSV (text/csv): meterId,ts,value,unit[,powerW]; they go through ingest like MQTT readings; answered row by row',
          response: { 200: EnergyImportResult },
        },
      },
      async (req) => {
        const meterProblem = (id: string): string | undefined => {
          const d = ctx.devices.get(id);
          if (!d) return `no device "${id}" is registered`;
          if (d.kind !== 'energy-meter') return `"${id}" is a ${d.kind}, not an energy-meter`;
          if (!d.enabled) return `"${id}" is disabled`;
          return undefined;
        };
        let parsed;
        try {
          parsed = parseReadingsCsv(csvBody(req.body), ctx.now(), meterProblem);
        } catch (err) {
          return badRequest(err);
        }
        if (parsed.messages.length) {
          try {
            await ctx.ingest.accept(parsed.messages, 'import');
          } catch (err) {
            ctx.logger.warn({ err: (err as Error).message }, 'readings import could not be kept');
            throw new HttpError(503, 'the readings could not be kept (the spool is not writable); nothing of this file was taken, send it again');
          }
        }
        deps.flush();
        const accepted = parsed.rows.filter((r) => r.status === 'accepted').length;
        ctx.audit.record(req.principal!.name, 'energy.readings.import', null, { accepted, refused: parsed.rows.length - accepted });
        return { accepted, refused: parsed.rows.length - accepted, rows: parsed.rows };
      },
    );

    app.get(
      '/api/v1/energy/meters/:meterId/consumption',
      {
        preHandler: energy,
        schema: {
          tags: ['energy'],
          summary: 'Consumption of a meter per local hour, day or month (CITY_TZ); from inclusive, to exclusive',
          params: MeterParams,
          querystring: ConsumptionQuery.omit({ resource: true }),
          response: { 200: z.array(ConsumptionPoint) },
        },
      },
      async (req) => {
        const device = ctx.devices.get(req.params.meterId);
        if (!device || device.kind !== 'energy-meter') throw new HttpError(404, `no energy meter "${req.params.meterId}"`);
        try {
          return deps.consumption.meter(device, req.query);
        } catch (err) {
          return badRequest(err);
        }
      },
    );

    app.get(
      '/api/v1/energy/buildings/:buildingId/consumption',
      {
        preHandler: energy,
        schema: {
          tags: ['energy'],
          summary: "Consumption of a building (the sum of its meters, per resource and unit) per local hour, day or month",
          params: BuildingParams,
          querystring: ConsumptionQuery,
          response: { 200: z.array(ConsumptionPoint) },
        },
      },
      async (req) => {
        const meters = metersOf(req.params.buildingId);
        if (!deps.buildings.get(req.params.buildingId) && meters.length === 0) throw new HttpError(404, `no building "${req.params.buildingId}"`);
        try {
          return deps.consumption.building(meters, req.query);
        } catch (err) {
          return badRequest(err);
        }
      },
    );
  };
