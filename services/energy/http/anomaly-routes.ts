/** Anomalies (role `energy`): listed with their evidence, acknowledged and resolved, scanned on demand. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Anomaly, AnomalyPatch, AnomalyQuery, AnomalyScan } from '../../contracts/energy.ts';
import { HttpError } from '../../http/auth.ts';
import type { DomainContext } from '../../platform/domain-module.ts';
import type { AnomalyRepository } from '../anomalies/anomaly-repository.ts';
import type { AnomalyScanner } from '../anomalies/anomaly-scanner.ts';
import { LocalTimeError } from '../consumption/local-time.ts';

export const anomalyRoutes =
  (deps: { ctx: DomainContext; repo: AnomalyRepository; scanner: AnomalyScanner; flush(): void }): FastifyPluginAsyncZod =>
  async (app) => {
    const energy = deps.ctx.auth.requireRole('energy');

    app.get('/api/v1/energy/anomalies', { preHandler: energy, schema: { tags: ['energy'], summary: 'Anomalies, newest first', querystring: AnomalyQuery, response: { 200: z.array(Anomaly) } } }, async (req) =>
      deps.repo.list(req.query),
    );

    app.patch(
      '/api/v1/energy/anomalies/:id',
      { preHandler: energy, schema: { tags: ['energy'], summary: 'Acknowledge or resolve an anomaly', params: z.object({ id: z.coerce.number().int().positive() }), body: AnomalyPatch, response: { 200: Anomaly } } },
      async (req) => {
        const current = deps.repo.get(req.params.id);
        if (!current) throw new HttpError(404, `no anomaly ${req.params.id}`);
        if (current.state === 'resolved') throw new HttpError(409, `anomaly ${req.params.id} is resolved already`, [{ field: 'state', reason: 'a resolved anomaly stays resolved' }]);
        const updated = await deps.repo.setState(req.params.id, req.body.state, req.principal!.name);
        // Resolved meanwhile on another instance.
        if (!updated) throw new HttpError(409, `anomaly ${req.params.id} is resolved already`, [{ field: 'state', reason: 'a resolved anomaly stays resolved' }]);
        deps.ctx.audit.record(req.principal!.name, `energy.anomaly.${req.body.state === 'acknowledged' ? 'acknowledge' : 'resolve'}`, String(updated.id), { kind: updated.kind, meterId: updated.meterId });
        return updated;
      },
    );

    app.post(
      '/api/v1/energy/anomalies/scan',
      { preHandler: energy, schema: { tags: ['energy'], summary: 'Look for anomalies in complete local days [from, to) now (the hub also does every 15 minutes)', body: AnomalyScan, response: { 200: z.object({ found: z.number() }) } } },
      async (req) => {
        deps.flush();
        try {
          return { found: (await deps.scanner.scanDays(req.body.from, req.body.to)) + (await deps.scanner.scanSilence()) };
        } catch (err) {
          if (err instanceof LocalTimeError) throw new HttpError(400, err.message, [{ field: err.field, reason: err.reason }]);
          throw err;
        }
      },
    );
  };
