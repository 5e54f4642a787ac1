/** Tariffs (role `energy`): the price of a unit of each resource over local dates (electricity also by time-of-day zones); CRUD and a CSV import answered row by row. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { EnergyImportResult, Tariff, TariffId, TariffPut, TariffQuery } from '../../contracts/energy.ts';
import { HttpError } from '../../http/auth.ts';
import type { DomainContext } from '../../platform/domain-module.ts';
import { CsvFileError } from '../imports/readings-csv.ts';
import { parseTariffsCsv } from '../imports/tariffs-csv.ts';
import { TariffOverlapError, type TariffRepository } from '../tariffs/tariff-repository.ts';

const Params = z.object({ tariffId: TariffId });

export const tariffRoutes =
  (deps: { ctx: DomainContext; tariffs: TariffRepository }): FastifyPluginAsyncZod =>
  async (app) => {
    const { ctx, tariffs } = deps;
    const energy = ctx.auth.requireRole('energy');

    app.get('/api/v1/energy/tariffs', { preHandler: energy, schema: { tags: ['energy'], summary: 'Tariffs, by resource and date', querystring: TariffQuery, response: { 200: z.array(Tariff) } } }, async (req) =>
      tariffs.list(req.query.resource),
    );

    app.get('/api/v1/energy/tariffs/:tariffId', { preHandler: energy, schema: { tags: ['energy'], params: Params, response: { 200: Tariff } } }, async (req) => {
      const t = tariffs.get(req.params.tariffId);
      if (!t) throw new HttpError(404, `no tariff "${req.params.tariffId}"`);
      return t;
    });

    app.put(
      '/api/v1/energy/tariffs/:tariffId',
      { preHandler: energy, schema: { tags: ['energy'], summary: 'Create or replace a tariff (UAH per unit over local dates [validFrom, validTo); electricity optionally by time-of-day zones)', params: Params, body: TariffPut, response: { 200: Tariff, 201: Tariff } } },
      async (req, reply) => {
        let result;
        try {
          result = await tariffs.put(req.params.tariffId, req.body, req.principal!.name);
        } catch (err) {
          if (err instanceof TariffOverlapError) throw new HttpError(409, `tariff "${req.params.tariffId}" ${err.message}`, [{ field: 'validFrom', reason: err.message }]);
          throw err;
        }
        ctx.audit.record(req.principal!.name, result.created ? 'energy.tariff.create' : 'energy.tariff.update', result.tariff.tariffId, req.body);
        return reply.status(result.created ? 201 : 200).send(result.tariff);
      },
    );

    app.delete('/api/v1/energy/tariffs/:tariffId', { preHandler: energy, schema: { tags: ['energy'], params: Params } }, async (req, reply) => {
      if (!(await tariffs.remove(req.params.tariffId))) throw new HttpError(404, `no tariff "${req.params.tariffId}"`);
      ctx.audit.record(req.principal!.name, 'energy.tariff.delete', req.params.tariffId);
      return reply.status(204).send();
    });

    app.post(
      '/api/v1/energy/tariffs/import',
      {
        preHandler: energy,
        schema: { tags: ['energy'], summary: 'Tariffs from CSV (text/csv): tariffId,resource,unit,priceUAH,validFrom,validTo,note,zones; answered row by row', response: { 200: EnergyImportResult } },
      },
      async (req) => {
        if (typeof req.body !== 'string') throw new HttpError(415, 'send the CSV as text/csv');
        let rows;
        try {
          rows = parseTariffsCsv(req.body);
        } catch (err) {
          if (err instanceof CsvFileError) throw new HttpError(400, err.message, [{ field: err.field, reason: err.reason }]);
          throw err;
        }
        const result: EnergyImportResult = { accepted: 0, refused: 0, rows: [] };
        for (const row of rows) {
          let error = row.ok ? undefined : row.error;
          if (row.ok) {
            try {
              await tariffs.put(row.id!, row.record, req.principal!.name);
            } catch (err) {
              if (!(err instanceof TariffOverlapError)) throw err;
              error = `validFrom: ${err.message}`;
            }
          }
          if (error === undefined) result.accepted++;
          else result.refused++;
          result.rows.push({ line: row.line, id: row.id, status: error === undefined ? 'accepted' : 'refused', ...(error === undefined ? {} : { error }) });
        }
        ctx.audit.record(req.principal!.name, 'energy.tariff.import', null, { accepted: result.accepted, refused: result.refused });
        return result;
      },
    );
  };
