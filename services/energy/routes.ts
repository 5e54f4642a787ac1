import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MeterState } from '../contracts/index.ts';
import type { AuthPolicy } from '../platform/domain-module.ts';
import type { LiveMeters } from './live-meters.ts';

export const energyRoutes =
  (deps: { meters: LiveMeters; auth: AuthPolicy }): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/api/v1/energy/meters',
      {
        preHandler: deps.auth.requireRole('energy'),
        schema: {
          tags: ['energy'],
          summary: 'Latest reading of every energy meter',
          querystring: z.strictObject({ buildingId: z.string().max(120).optional() }),
          response: { 200: z.array(MeterState) },
        },
      },
      async (req) => deps.meters.byBuilding(req.query.buildingId),
    );
  };
