import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ControllerState } from '../contracts/index.ts';
import { requireRole } from '../http/auth.ts';
import type { Accounts } from '../registry/accounts.ts';
import type { LiveControllers } from './live-controllers.ts';

export const lightingRoutes =
  (deps: { controllers: LiveControllers; accounts: Accounts }): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/api/v1/lighting/controllers',
      {
        preHandler: requireRole(deps.accounts, 'lighting'),
        schema: {
          tags: ['lighting'],
          summary: 'Live state of every lighting controller (cabinet)',
          querystring: z.strictObject({ groupId: z.string().max(120).optional() }),
          response: { 200: z.array(ControllerState) },
        },
      },
      async (req) => deps.controllers.byGroup(req.query.groupId),
    );
  };
