import { join } from 'node:path';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DeviceId, LightingStatePayload, OpcuaBinding, OpcuaCabinetStatus } from '../../contracts/index.ts';
import { HttpError } from '../../http/auth.ts';
import type { DomainContext } from '../../platform/domain-module.ts';
import { OpcuaCabinet, type CabinetLink } from './cabinet-client.ts';
import type { OpcuaModels } from './models.ts';

interface Running { key: string; cabinet: OpcuaCabinet; detail: string | null }

/**
 * Every OPC UA cabinet the hub drives: one client each, started and stopped as bindings and
 * devices change (`reconcile`, every dispatch pass). Their states go in through `ctx.ingest`
 * (source `opcua`) like MQTT ones: validated, spooled, stored, live.
 */
export class OpcuaFleet {
  private readonly running = new Map<string, Running>();
  private closed = false;

  constructor(private readonly ctx: DomainContext, private readonly models: OpcuaModels, private readonly backoff?: { initialMs: number; maxMs: number }) {}

  /**
   * Where each OPC UA cabinet is and how it is read: the device's own `endpointUrl` and `model`
   * (POST /api/v1/devices, as PRODUCT.md has it), else a binding made with
   * PUT /lighting/controllers/:id/opcua (kept for those who used it before devices had both).
   */
  bindings(): Map<string, OpcuaBinding> {
    const rows = this.ctx.db.prepare('SELECT controller_id, endpoint_url, model_id FROM lighting_opcua_bindings').all() as { controller_id: string; endpoint_url: string; model_id: string }[];
    const out = new Map(rows.map((r) => [r.controller_id, { endpointUrl: r.endpoint_url, model: r.model_id }]));
    for (const d of this.ctx.devices.list({ kind: 'lighting-controller' })) {
      if (d.protocol === 'opcua' && d.endpointUrl && d.model) out.set(d.id, { endpointUrl: d.endpointUrl, model: d.model });
    }
    return out;
  }

  bind(controllerId: string, b: OpcuaBinding): void {
    this.ctx.db.prepare('INSERT INTO lighting_opcua_bindings (controller_id, endpoint_url, model_id) VALUES (?, ?, ?) ON CONFLICT (controller_id) DO UPDATE SET endpoint_url = excluded.endpoint_url, model_id = excluded.model_id')
      .run(controllerId, b.endpointUrl, b.model);
  }

  /** Starts clients for new bindings, restarts changed ones, stops those whose device is gone or disabled. */
  reconcile(): void {
    if (this.closed) return;
    const wanted = new Map<string, { binding: OpcuaBinding; key: string }>();
    for (const [id, b] of this.bindings()) {
      const d = this.ctx.devices.get(id);
      const model = this.models.get(b.model);
      if (!d || !d.enabled || d.protocol !== 'opcua' || !model) continue;
      wanted.set(id, { binding: b, key: `${b.endpointUrl}|${b.model}|${model.updatedAt}` });
    }
    for (const [id, r] of this.running) {
      if (wanted.get(id)?.key !== r.key) {
        this.running.delete(id);
        void r.cabinet.stop();
      }
    }
    for (const [id, w] of wanted) {
      if (this.running.has(id)) continue;
      const model = this.models.get(w.binding.model)!;
      const entry: Running = { key: w.key, detail: null, cabinet: undefined as unknown as OpcuaCabinet };
      entry.cabinet = new OpcuaCabinet({
        controllerId: id, endpointUrl: w.binding.endpointUrl, model, pkiDir: join(this.ctx.dataDir, 'pki', 'opcua-client'), now: this.ctx.now,
        ...(this.backoff ? { backoff: this.backoff } : {}),
        onState: (s) => this.ingest(id, s),
        onLink: (link: CabinetLink, detail?: string) => {
          entry.detail = detail ?? null;
          this.ctx.logger.info({ controllerId: id, link, detail }, 'OPC UA cabinet link');
        },
      });
      this.running.set(id, entry);
      entry.cabinet.start().catch((err: Error) => {
        entry.detail = err.message;
        this.ctx.logger.warn({ controllerId: id, err: err.message }, 'OPC UA cabinet could not be started');
      });
    }
  }

  private ingest(controllerId: string, raw: unknown): void {
    const parsed = LightingStatePayload.safeParse(raw);
    if (!parsed.success) {
      const i = parsed.error.issues[0]!;
      this.ctx.ingest.reject({ source: 'opcua', reason: 'invalid-payload', detail: `${i.path.join('.')}: ${i.message}`, deviceId: controllerId, payload: JSON.stringify(raw) });
      return;
    }
    this.ctx.ingest.accept([{ channel: 'lighting-state', deviceId: controllerId, ts: parsed.data.ts, payload: parsed.data }], 'opcua').catch((err: Error) =>
      this.ctx.logger.warn({ controllerId, err: err.message }, 'OPC UA state not kept; the next change brings it again'));
  }

  /** The client of a cabinet, when it is driven over OPC UA. */
  cabinet(controllerId: string): OpcuaCabinet | undefined {
    return this.running.get(controllerId)?.cabinet;
  }

  status(): z.infer<typeof OpcuaCabinetStatus>[] {
    return [...this.bindings()].map(([id, b]) => {
      const r = this.running.get(id);
      return { controllerId: id, ...b, link: r?.cabinet.link ?? 'unreachable', detail: r ? r.detail : 'not running: device missing, disabled, not opcua, or model unknown' };
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.running.values()].map((r) => r.cabinet.stop()));
    this.running.clear();
  }
}

export const opcuaRoutes =
  (deps: { ctx: DomainContext; fleet: OpcuaFleet; models: OpcuaModels; changed(): void }): FastifyPluginAsyncZod =>
  async (app) => {
    const operators = deps.ctx.auth.requireRole('lighting');
    const tags = ['lighting'];
    app.put('/api/v1/lighting/controllers/:controllerId/opcua', {
      preHandler: operators,
      schema: { tags, summary: 'Where an OPC UA cabinet is and which model reads it (interim, until devices hold endpointUrl and model)', params: z.strictObject({ controllerId: DeviceId }), body: OpcuaBinding, response: { 200: OpcuaBinding } },
    }, async (req) => {
      const d = deps.ctx.devices.get(req.params.controllerId);
      if (!d || d.kind !== 'lighting-controller' || d.protocol !== 'opcua') throw new HttpError(404, `no OPC UA lighting-controller ${req.params.controllerId}`);
      if (!deps.models.get(req.body.model)) throw new HttpError(400, `model: no model ${req.body.model}`, [{ field: 'model', reason: `no model ${req.body.model}; PUT /api/v1/lighting/models/${req.body.model} first` }]);
      deps.fleet.bind(d.id, req.body);
      deps.ctx.audit.record(req.principal?.name ?? 'unknown', 'lighting.opcua.bind', d.id, req.body);
      deps.changed();
      return req.body;
    });
    app.get('/api/v1/lighting/opcua', {
      preHandler: operators,
      schema: { tags, summary: 'OPC UA cabinets and whether each is reachable', response: { 200: z.array(OpcuaCabinetStatus) } },
    }, async () => deps.fleet.status());
  };
