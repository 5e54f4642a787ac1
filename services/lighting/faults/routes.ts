import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CabinetRating, DeviceId, FaultSettings, LightingFault } from '../../contracts/index.ts';
import { HttpError } from '../../http/auth.ts';
import type { AuditSink, AuthPolicy, DeviceReader } from '../../platform/domain-module.ts';
import type { FaultTable } from './fault-table.ts';

export interface FaultRouteDeps {
  auth: AuthPolicy;
  audit: AuditSink;
  devices: DeviceReader;
  faults: FaultTable;
  now: () => number;
  /** thresholds or ratings changed */
  changed(): void;
}

export const faultRoutes =
  (deps: FaultRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const operators = deps.auth.requireRole('lighting');
    const tags = ['lighting'];
    const actor = (req: { principal?: { name: string } }) => req.principal?.name ?? 'unknown';

    app.get('/api/v1/lighting/faults', {
      preHandler: operators,
      schema: {
        tags, summary: 'Faults, newest first: active=true those that last, active=false the history of cleared ones, neither both',
        querystring: z.strictObject({ active: z.enum(['true', 'false']).optional(), controllerId: DeviceId.optional(), limit: z.coerce.number().int().min(1).max(5000).default(500) }),
        response: { 200: z.array(LightingFault) },
      },
    }, async (req) => deps.faults.list({ active: req.query.active === undefined ? undefined : req.query.active === 'true', controllerId: req.query.controllerId, limit: req.query.limit }));

    app.post('/api/v1/lighting/faults/:id/ack', {
      preHandler: operators,
      schema: { tags, summary: 'Acknowledge a fault (it stays until it is resolved)', params: z.strictObject({ id: z.coerce.number().int().min(1) }), response: { 200: LightingFault } },
    }, async (req) => {
      const f = await deps.faults.acknowledge(req.params.id, actor(req), deps.now());
      if (!f) throw new HttpError(404, `no fault ${req.params.id}`);
      deps.audit.record(actor(req), 'lighting.fault.ack', String(f.id), { controllerId: f.controllerId, code: f.code });
      return f;
    });

    app.get('/api/v1/lighting/fault-settings', {
      preHandler: operators,
      schema: { tags, summary: 'Thresholds of the faults the hub works out', response: { 200: FaultSettings } },
    }, async () => deps.faults.settings());

    app.put('/api/v1/lighting/fault-settings', {
      preHandler: operators,
      schema: { tags, summary: 'Set the fault thresholds (power tolerance, voltage range, silence)', body: FaultSettings, response: { 200: FaultSettings } },
    }, async (req) => {
      await deps.faults.putSettings(req.body);
      deps.audit.record(actor(req), 'lighting.fault-settings.put', null, req.body);
      deps.changed();
      return req.body;
    });

    app.put('/api/v1/lighting/controllers/:controllerId/rating', {
      preHandler: operators,
      schema: { tags, summary: "A cabinet's power at full level, for power-mismatch", params: z.strictObject({ controllerId: DeviceId }), body: CabinetRating, response: { 200: CabinetRating } },
    }, async (req) => {
      const d = deps.devices.get(req.params.controllerId);
      if (!d || d.kind !== 'lighting-controller') throw new HttpError(404, `no lighting-controller ${req.params.controllerId}`);
      await deps.faults.putRating(d.id, req.body.ratedW);
      deps.audit.record(actor(req), 'lighting.rating.put', d.id, req.body);
      deps.changed();
      return req.body;
    });
  };
