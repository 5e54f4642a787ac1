/** REST of operations alerts: the list (by state) and a dispatcher's acknowledgement. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { OpsAlert, OpsAlertIdParams, OpsAlertQuery } from '../contracts/index.ts';
import { HttpError } from '../http/auth.ts';
import type { AuditSink, AuthPolicy } from '../platform/domain-module.ts';
import { OpsAlertError, type OpsAlerts } from './ops/ops-alerts.ts';

export interface OpsRouteDeps {
  ops: OpsAlerts;
  auth: AuthPolicy;
  audit?: AuditSink;
  now: () => number;
}

export const opsRoutes =
  (deps: OpsRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const dispatchers = deps.auth.requireRole('dispatcher');
    app.get(
      '/api/v1/transit/ops-alerts',
      {
        preHandler: dispatchers,
        schema: {
          tags: ['transit'],
          summary: 'Operations alerts (bunching, gap, early, late, off-route, stale tracker, trip with no vehicle), newest first; state=active (default: open and acknowledged), open, acknowledged, cleared or all',
          querystring: OpsAlertQuery,
          response: { 200: z.array(OpsAlert) },
        },
      },
      async (req) => deps.ops.list(req.query.state, req.query.limit),
    );
    app.post(
      '/api/v1/transit/ops-alerts/:id/ack',
      {
        preHandler: dispatchers,
        schema: { tags: ['transit'], summary: 'A dispatcher acknowledges an operations alert; it stays until its cause ends', params: OpsAlertIdParams, response: { 200: OpsAlert } },
      },
      async (req) => {
        const actor = req.principal?.name ?? 'unknown';
        try {
          const a = await deps.ops.ack(req.params.id, actor, deps.now());
          deps.audit?.record(actor, 'transit.ops-alert.ack', String(a.id), { kind: a.kind, vehicleId: a.vehicleId, tripId: a.tripId });
          return a;
        } catch (err) {
          if (err instanceof OpsAlertError) throw new HttpError(err.statusCode, err.message, [{ field: 'id', reason: err.message }]);
          throw err;
        }
      },
    );
  };
