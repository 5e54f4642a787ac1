import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  CommandState, DeviceId, GroupId, LightingCommandRecord, LightingGroup, LightingGroupPut, LightingOverride, LightingSchedule, LocalDate,
  OverrideCreate, PlanEntry,
} from '../../contracts/index.ts';
import { HttpError } from '../../http/auth.ts';
import type { AuditSink, AuthPolicy, DeviceReader } from '../../platform/domain-module.ts';
import type { CommandTable } from '../commands/command-table.ts';
import { addDays, type zoneOf } from '../schedule/local-time.ts';
import { plan } from '../schedule/plan.ts';
import type { Place } from '../schedule/sun.ts';
import type { Groups } from './groups.ts';
import type { Overrides } from './overrides.ts';

export interface DispatchRouteDeps {
  auth: AuthPolicy;
  audit: AuditSink;
  devices: DeviceReader;
  groups: Groups;
  overrides: Overrides;
  commands: CommandTable;
  now: () => number;
  place: Place;
  zone: ReturnType<typeof zoneOf>;
  /** something changed that the scheduler should act on at once */
  changed(): void;
}

/** The longest plan one request may ask for. */
const MAX_PLAN_NIGHTS = 400;
/** An override lasts at most this long: a forgotten one must not hold a city's lamps for ever. */
const MAX_OVERRIDE_MS = 31 * 86_400_000;

const badRequest = (issues: { field: string; reason: string }[]) => new HttpError(400, issues.map((i) => `${i.field}: ${i.reason}`).join('; '), issues);
const notFound = (what: string) => new HttpError(404, what);
const GroupParams = z.strictObject({ groupId: GroupId });
const PlanQuery = z.strictObject({ from: LocalDate, to: LocalDate });

function checkPlanRange(from: string, to: string): void {
  if (to <= from) throw badRequest([{ field: 'to', reason: 'must be after from' }]);
  if (to > addDays(from, MAX_PLAN_NIGHTS)) throw badRequest([{ field: 'to', reason: `at most ${MAX_PLAN_NIGHTS} nights per request` }]);
}

export const dispatchRoutes =
  (deps: DispatchRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const operators = deps.auth.requireRole('lighting');
    const actor = (req: { principal?: { name: string } }) => req.principal?.name ?? 'unknown';
    const tags = ['lighting'];

    app.get('/api/v1/lighting/groups', {
      preHandler: operators,
      schema: { tags, summary: 'Groups of cabinets', response: { 200: z.array(LightingGroup) } },
    }, async () => deps.groups.list());

    app.get('/api/v1/lighting/groups/:groupId', {
      preHandler: operators,
      schema: { tags, summary: 'One group', params: GroupParams, response: { 200: LightingGroup } },
    }, async (req) => deps.groups.get(req.params.groupId) ?? Promise.reject(notFound(`no group ${req.params.groupId}`)));

    app.put('/api/v1/lighting/groups/:groupId', {
      preHandler: operators,
      schema: { tags, summary: 'Create or replace a group of cabinets (a cabinet belongs to one group)', params: GroupParams, body: LightingGroupPut, response: { 200: LightingGroup } },
    }, async (req) => {
      const issues = req.body.controllerIds.flatMap((id, i) => {
        const d = deps.devices.get(id);
        if (!d) return [{ field: `controllerIds.${i}`, reason: `no device ${id} is registered` }];
        if (d.kind !== 'lighting-controller') return [{ field: `controllerIds.${i}`, reason: `${id} is a ${d.kind}, not a lighting-controller` }];
        return [];
      });
      if (issues.length) throw badRequest(issues);
      const { moved } = await deps.groups.put(req.params.groupId, req.body, deps.now());
      deps.audit.record(actor(req), 'lighting.group.put', req.params.groupId, { name: req.body.name, controllers: req.body.controllerIds.length, moved });
      deps.changed();
      return deps.groups.get(req.params.groupId)!;
    });

    app.delete('/api/v1/lighting/groups/:groupId', {
      preHandler: operators,
      schema: { tags, summary: 'Delete a group and its schedule (its cabinets keep their last command)', params: GroupParams },
    }, async (req, reply) => {
      if (!(await deps.groups.delete(req.params.groupId))) throw notFound(`no group ${req.params.groupId}`);
      deps.audit.record(actor(req), 'lighting.group.delete', req.params.groupId);
      deps.changed();
      return reply.status(204).send();
    });

    app.get('/api/v1/lighting/groups/:groupId/schedule', {
      preHandler: operators,
      schema: { tags, summary: "A group's schedule", params: GroupParams, response: { 200: LightingSchedule } },
    }, async (req) => {
      if (!deps.groups.get(req.params.groupId)) throw notFound(`no group ${req.params.groupId}`);
      return deps.groups.schedule(req.params.groupId) ?? Promise.reject(notFound(`group ${req.params.groupId} has no schedule`));
    });

    app.put('/api/v1/lighting/groups/:groupId/schedule', {
      preHandler: operators,
      schema: { tags, summary: "Set a group's schedule (local times in CITY_TZ)", params: GroupParams, body: LightingSchedule, response: { 200: LightingSchedule } },
    }, async (req) => {
      if (!deps.groups.get(req.params.groupId)) throw notFound(`no group ${req.params.groupId}; PUT /api/v1/lighting/groups/${req.params.groupId} first`);
      await deps.groups.putSchedule(req.params.groupId, req.body, actor(req), deps.now());
      deps.audit.record(actor(req), 'lighting.schedule.put', req.params.groupId, req.body);
      deps.changed();
      return req.body;
    });

    app.get('/api/v1/lighting/groups/:groupId/plan', {
      preHandler: operators,
      schema: {
        tags, summary: 'The plan of a range of local evenings: from inclusive, to exclusive; instants in UTC',
        params: GroupParams, querystring: PlanQuery, response: { 200: z.array(PlanEntry) },
      },
    }, async (req) => {
      if (!deps.groups.get(req.params.groupId)) throw notFound(`no group ${req.params.groupId}`);
      const schedule = deps.groups.schedule(req.params.groupId);
      if (!schedule) throw notFound(`group ${req.params.groupId} has no schedule`);
      checkPlanRange(req.query.from, req.query.to);
      return plan(schedule, req.query.from, req.query.to, deps.place, deps.zone);
    });

    app.post('/api/v1/lighting/plan-preview', {
      preHandler: operators,
      schema: {
        tags, summary: 'The plan a schedule would give, before saving it',
        body: z.strictObject({ schedule: LightingSchedule, from: LocalDate, to: LocalDate }), response: { 200: z.array(PlanEntry) },
      },
    }, async (req) => {
      checkPlanRange(req.body.from, req.body.to);
      return plan(req.body.schedule, req.body.from, req.body.to, deps.place, deps.zone);
    });

    app.get('/api/v1/lighting/overrides', {
      preHandler: operators,
      schema: {
        tags, summary: 'Active overrides (with all=true also ended ones, newest first)',
        querystring: z.strictObject({ all: z.enum(['true', 'false']).optional() }), response: { 200: z.array(LightingOverride) },
      },
    }, async (req) => deps.overrides.list(deps.now(), req.query.all === 'true'));

    app.post('/api/v1/lighting/overrides', {
      preHandler: operators,
      schema: { tags, summary: 'A level for a group or a cabinet until expiresAt (emergency above operator above schedule)', body: OverrideCreate, response: { 201: LightingOverride } },
    }, async (req, reply) => {
      const now = deps.now();
      const expiresAt = Date.parse(req.body.expiresAt);
      if (expiresAt <= now) throw badRequest([{ field: 'expiresAt', reason: 'must be in the future' }]);
      if (expiresAt > now + MAX_OVERRIDE_MS) throw badRequest([{ field: 'expiresAt', reason: 'must be within 31 days' }]);
      if (req.body.groupId !== undefined && !deps.groups.get(req.body.groupId)) throw badRequest([{ field: 'groupId', reason: `no group ${req.body.groupId}` }]);
      if (req.body.controllerId !== undefined) {
        const d = deps.devices.get(req.body.controllerId);
        if (!d || d.kind !== 'lighting-controller') throw badRequest([{ field: 'controllerId', reason: `no lighting-controller ${req.body.controllerId} is registered` }]);
      }
      const o = await deps.overrides.create({ ...req.body, expiresAt }, actor(req), now);
      deps.audit.record(actor(req), 'lighting.override.create', o.id, req.body);
      deps.changed();
      return reply.status(201).send(o);
    });

    app.delete('/api/v1/lighting/overrides/:id', {
      preHandler: operators,
      schema: { tags, summary: 'End an override: its cabinets go back to the schedule', params: z.strictObject({ id: z.string().max(80) }), response: { 200: LightingOverride } },
    }, async (req) => {
      const now = deps.now();
      if (!(await deps.overrides.get(req.params.id, now))) throw notFound(`no override ${req.params.id}`);
      if (!(await deps.overrides.end(req.params.id, actor(req), now))) throw new HttpError(409, `override ${req.params.id} is already over`);
      deps.audit.record(actor(req), 'lighting.override.delete', req.params.id);
      deps.changed();
      return (await deps.overrides.get(req.params.id, now))!;
    });

    app.get('/api/v1/lighting/commands', {
      preHandler: operators,
      schema: {
        tags, summary: 'Commands with their delivery state, newest first',
        querystring: z.strictObject({ controllerId: DeviceId.optional(), state: CommandState.optional(), limit: z.coerce.number().int().min(1).max(5000).default(500) }),
        response: { 200: z.array(LightingCommandRecord) },
      },
    }, async (req) => deps.commands.list(req.query));
  };
