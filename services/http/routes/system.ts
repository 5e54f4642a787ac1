import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AuditEntry, DeadLetter, Health } from '../../contracts/index.ts';
import type { AppDeps } from '../app.ts';
import { requireBearer, requireRole } from '../auth.ts';

export const systemRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get('/api/v1/health', { schema: { tags: ['system'], summary: 'Status of each component (no token needed)', response: { 200: Health, 503: Health } } }, async (_req, reply) => {
      const health = await deps.health();
      return reply.status(health.status === 'down' ? 503 : 200).send(health);
    });

    const metricsAuth = deps.metricsToken ? requireBearer(deps.metricsToken, 'METRICS_TOKEN') : undefined;
    app.get('/metrics', { schema: { hide: true }, ...(metricsAuth ? { preHandler: metricsAuth } : {}) }, async (_req, reply) => {
      return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
    });

    app.get(
      '/api/v1/deadletter',
      {
        preHandler: requireRole(deps.accounts),
        schema: {
          tags: ['system'],
          summary: 'Refused messages, newest first, with the reason',
          querystring: z.strictObject({
            limit: z.coerce.number().int().min(1).max(1000).default(100),
            before: z.coerce.number().int().positive().optional().describe('id to page from'),
            reason: z.string().max(64).optional(),
            deviceId: z.string().max(64).optional(),
          }),
          response: { 200: z.array(DeadLetter) },
        },
      },
      async (req) => deps.deadLetters.list({ limit: req.query.limit, beforeId: req.query.before, reason: req.query.reason, deviceId: req.query.deviceId }),
    );

    app.get(
      '/api/v1/audit',
      {
        preHandler: requireRole(deps.accounts),
        schema: {
          tags: ['system'],
          summary: 'Audit log of every change, newest first',
          querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(1000).default(100), before: z.coerce.number().int().positive().optional() }),
          response: { 200: z.array(AuditEntry) },
        },
      },
      async (req) => deps.audit.recent(req.query.limit, req.query.before),
    );
  };
