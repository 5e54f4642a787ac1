import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ControllerState, DeviceId, KeptCommandAck } from '../contracts/index.ts';
import type { AuthPolicy } from '../platform/domain-module.ts';
import type { CommandAcks } from './command-acks.ts';
import type { LiveControllers } from './live-controllers.ts';

export const lightingRoutes =
  (deps: { controllers: LiveControllers; acks: CommandAcks; auth: AuthPolicy }): FastifyPluginAsyncZod =>
  async (app) => {
    const operators = deps.auth.requireRole('lighting');
    app.get(
      '/api/v1/lighting/controllers',
      {
        preHandler: operators,
        schema: {
          tags: ['lighting'],
          summary: 'Live state of every lighting controller (cabinet)',
          querystring: z.strictObject({ groupId: z.string().max(120).optional() }),
          response: { 200: z.array(ControllerState) },
        },
      },
      async (req) => deps.controllers.byGroup(req.query.groupId),
    );

    app.get(
      '/api/v1/lighting/command-acks',
      {
        preHandler: operators,
        schema: {
          tags: ['lighting'],
          summary: "Cabinets' acknowledgements of commands, newest first",
          querystring: z.strictObject({ controllerId: DeviceId.optional(), limit: z.coerce.number().int().min(1).max(5000).default(500) }),
          response: { 200: z.array(KeptCommandAck) },
        },
      },
      async (req) => deps.acks.list(req.query.controllerId, req.query.limit),
    );
  };
