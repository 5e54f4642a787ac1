import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { LightingEnergyInterval, LightingEnergyQuery } from '../../contracts/index.ts';
import { HttpError } from '../../http/auth.ts';
import type { AuthPolicy, DeviceReader } from '../../platform/domain-module.ts';
import type { HistoryStore } from '../../store/history-store.ts';
import type { zoneOf } from '../schedule/local-time.ts';
import { cabinetsEnergy, intervals } from './energy.ts';

/** At most this many days (or months × 31) per request: each day is 96 slots per cabinet. */
const MAX_DAYS = 400;

export interface EnergyRouteDeps {
  auth: AuthPolicy;
  store: HistoryStore;
  devices: DeviceReader;
  zone: ReturnType<typeof zoneOf>;
  /** the cabinets of a dispatch group, undefined when there is no such group */
  members(groupId: string): readonly string[] | undefined;
}

export const energyRoutes =
  (deps: EnergyRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get('/api/v1/lighting/energy', {
      preHandler: deps.auth.requireRole('lighting'),
      schema: {
        tags: ['lighting'],
        summary: 'Energy of a cabinet or a group per local day or month, with the saving against the same hours at full power',
        querystring: LightingEnergyQuery,
        response: { 200: z.array(LightingEnergyInterval) },
      },
    }, async (req) => {
      const q = req.query;
      const days = (Date.parse(`${q.to}T00:00:00Z`) - Date.parse(`${q.from}T00:00:00Z`)) / 86_400_000;
      if (days > MAX_DAYS) throw new HttpError(400, `to: at most ${MAX_DAYS} days per request`, [{ field: 'to', reason: `at most ${MAX_DAYS} days per request` }]);
      let ids: readonly string[];
      if (q.groupId !== undefined) {
        const members = deps.members(q.groupId);
        if (!members) throw new HttpError(404, `no group ${q.groupId}`);
        ids = members;
      } else {
        const d = deps.devices.get(q.controllerId!);
        if (!d || d.kind !== 'lighting-controller') throw new HttpError(404, `no lighting controller ${q.controllerId}`);
        ids = [d.id];
      }
      return cabinetsEnergy(deps.store, ids, intervals(q.from, q.to, q.interval, deps.zone));
    });
  };
