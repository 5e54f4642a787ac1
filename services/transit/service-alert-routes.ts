/** REST of service alerts: dispatchers create, edit and end notices for routes and stops. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ServiceAlert, ServiceAlertBody, ServiceAlertIdParams, ServiceAlertQuery, type ServiceAlertBody as Body } from '../contracts/index.ts';
import { HttpError } from '../http/auth.ts';
import type { AuditSink, AuthPolicy } from '../platform/domain-module.ts';
import type { GtfsFeed } from './gtfs/model.ts';
import type { ServiceAlerts } from './ops/service-alerts.ts';

export interface ServiceAlertRouteDeps {
  alerts: ServiceAlerts;
  feed: () => GtfsFeed | undefined;
  auth: AuthPolicy;
  audit?: AuditSink;
  now: () => number;
}

/** Routes and stops must be the static feed's, so GTFS-Realtime consumers can match them. */
function checkIds(feed: GtfsFeed | undefined, body: Body): void {
  if (!feed) return;
  const issues = [
    ...body.routeIds.flatMap((id, i) => (feed.routes.has(id) ? [] : [{ field: `routeIds.${i}`, reason: `route ${id} is not in the GTFS feed` }])),
    ...body.stopIds.flatMap((id, i) => (feed.stops.has(id) ? [] : [{ field: `stopIds.${i}`, reason: `stop ${id} is not in the GTFS feed` }])),
  ];
  if (issues.length) throw new HttpError(400, issues.map((x) => x.reason).join('; '), issues);
}

export const serviceAlertRoutes =
  (deps: ServiceAlertRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const dispatchers = deps.auth.requireRole('dispatcher');
    const readers = deps.auth.requireRole('dispatcher', 'display');
    const tags = ['transit'];
    const missing = (id: number) => new HttpError(404, `no service alert ${id}`, [{ field: 'id', reason: 'unknown service alert' }]);

    app.get(
      '/api/v1/transit/service-alerts',
      { preHandler: readers, schema: { tags, summary: 'Service alerts, newest first: current (active and upcoming, the default), ended or all', querystring: ServiceAlertQuery, response: { 200: z.array(ServiceAlert) } } },
      async (req) => deps.alerts.list(req.query.state, deps.now()),
    );
    app.post(
      '/api/v1/transit/service-alerts',
      { preHandler: dispatchers, schema: { tags, summary: 'Create a service alert for routes and stops, in Ukrainian (and English), from start to end', body: ServiceAlertBody, response: { 201: ServiceAlert } } },
      async (req, reply) => {
        checkIds(deps.feed(), req.body);
        const actor = req.principal?.name ?? 'unknown';
        const a = await deps.alerts.create(req.body, actor, deps.now());
        deps.audit?.record(actor, 'transit.service-alert.create', String(a.id), { routeIds: a.routeIds, stopIds: a.stopIds });
        return reply.status(201).send(a);
      },
    );
    app.put(
      '/api/v1/transit/service-alerts/:id',
      { preHandler: dispatchers, schema: { tags, summary: 'Replace a service alert\'s routes, stops, window and text', params: ServiceAlertIdParams, body: ServiceAlertBody, response: { 200: ServiceAlert } } },
      async (req) => {
        checkIds(deps.feed(), req.body);
        const actor = req.principal?.name ?? 'unknown';
        const a = await deps.alerts.update(req.params.id, req.body, actor, deps.now());
        if (!a) throw missing(req.params.id);
        deps.audit?.record(actor, 'transit.service-alert.update', String(a.id));
        return a;
      },
    );
    app.delete(
      '/api/v1/transit/service-alerts/:id',
      { preHandler: dispatchers, schema: { tags, summary: 'End a service alert now (it is kept, ended)', params: ServiceAlertIdParams, response: { 200: ServiceAlert } } },
      async (req) => {
        const actor = req.principal?.name ?? 'unknown';
        const a = await deps.alerts.end(req.params.id, actor, deps.now());
        if (!a) throw missing(req.params.id);
        deps.audit?.record(actor, 'transit.service-alert.end', String(a.id));
        return a;
      },
    );
  };
