import { join } from 'node:path';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ComponentStatus } from '../../contracts/index.ts';
import { DeviceId, LightingStatePayload, OpcuaBinding, OpcuaCabinetStatus } from '../../contracts/index.ts';
import { HttpError } from '../../http/auth.ts';
import type { DomainContext } from '../../platform/domain-module.ts';
import { OpcuaCabinet, type CabinetLink } from './cabinet-client.ts';
import { DEFAULT_OPCUA_TIMEOUTS, OpcuaConnections, type OpcuaTimeouts } from './connection.ts';
import type { OpcuaModels } from './models.ts';
import { OpcuaTrustStore, thumbprintOf } from './trust-store.ts';

interface Running {
  key: string;
  cabinet: OpcuaCabinet;
  detail: string | null;
  untrustedSinceMs: number | null;
  /** when its start failed (a session or subscription refused, a timeout): started afresh after the longest backoff */
  failedAtMs: number | null;
}

export interface OpcuaFleetOptions {
  /** reconnect backoff (default 1 s doubling to 30 s) */
  backoff?: { initialMs: number; maxMs: number } | undefined;
  /** trust every server certificate a registered cabinet presents (OPCUA_AUTO_TRUST: the demo), audit-logged */
  autoTrust?: boolean | undefined;
  /** deadlines for an exchange with a cabinet and for connecting (DEFAULT_OPCUA_TIMEOUTS) */
  timeouts?: Partial<OpcuaTimeouts> | undefined;
}

/**
 * A cabinet refused for its certificate is tried again this often, so a certificate trusted by
 * copying it into trusted/certs (not through REST) is taken up too.
 */
export const UNTRUSTED_RETRY_MS = 60_000;

/**
 * Every OPC UA cabinet the hub drives: one client connection and session per server (shared
 * by the cabinets it holds), a subscription per cabinet, started and stopped as bindings and
 * devices change (`reconcile`, every dispatch pass). Their states go in through `ctx.ingest`
 * (source `opcua`) like MQTT ones: validated, spooled, stored, live.
 */
export class OpcuaFleet {
  private readonly running = new Map<string, Running>();
  private closed = false;
  readonly trust: OpcuaTrustStore;
  /** OPCUA_AUTO_TRUST: thumbprint → its trust, once */
  private readonly autoTrusted = new Map<string, Promise<void>>();

  constructor(private readonly ctx: DomainContext, private readonly models: OpcuaModels, private readonly options: OpcuaFleetOptions = {}) {
    this.trust = new OpcuaTrustStore(join(ctx.dataDir, 'pki', 'opcua-client'));
    this.connections = new OpcuaConnections({ trust: this.trust, backoff: options.backoff, timeouts: { ...DEFAULT_OPCUA_TIMEOUTS, ...options.timeouts } });
  }

  /** one client connection and session per server (endpoint URL and security mode), shared by its cabinets */
  private readonly connections: OpcuaConnections;

  /**
   * Where each OPC UA cabinet is and how it is read: the device's own `endpointUrl` and `model`
   * (POST /api/v1/devices, as PRODUCT.md has it), else a binding made with
   * PUT /lighting/controllers/:id/opcua (kept for those who used it before devices had both).
   */
  bindings(): Map<string, OpcuaBinding> {
    const out = new Map<string, OpcuaBinding>(this.models.bindings());
    for (const d of this.ctx.devices.list({ kind: 'lighting-controller' })) {
      if (d.protocol === 'opcua' && d.endpointUrl && d.model) out.set(d.id, { endpointUrl: d.endpointUrl, model: d.model });
    }
    return out;
  }

  bind(controllerId: string, b: OpcuaBinding): Promise<void> {
    return this.models.bind(controllerId, b);
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
      const retryFailed = r.failedAtMs !== null && this.ctx.now() - r.failedAtMs >= (this.options.backoff?.maxMs ?? 30_000);
      if (wanted.get(id)?.key !== r.key || retryFailed) {
        this.running.delete(id);
        void r.cabinet.stop();
      } else if (r.untrustedSinceMs !== null && this.ctx.now() - r.untrustedSinceMs >= UNTRUSTED_RETRY_MS) {
        r.untrustedSinceMs = this.ctx.now();
        void r.cabinet.retry().catch((err: Error) => this.failed(r, err));
      }
    }
    for (const [id, w] of wanted) {
      if (this.running.has(id)) continue;
      const model = this.models.get(w.binding.model)!;
      const entry: Running = { key: w.key, detail: null, untrustedSinceMs: null, failedAtMs: null, cabinet: undefined as unknown as OpcuaCabinet };
      entry.cabinet = new OpcuaCabinet({
        controllerId: id, endpointUrl: w.binding.endpointUrl, model, trust: this.trust, now: this.ctx.now,
        ...(this.options.backoff ? { backoff: this.options.backoff } : {}),
        ...(this.options.timeouts ? { timeouts: this.options.timeouts } : {}),
        connections: this.connections,
        onState: (s) => this.ingest(id, s),
        onLink: (link: CabinetLink, detail?: string) => {
          entry.detail = detail ?? null;
          entry.untrustedSinceMs = link === 'certificate-untrusted' ? this.ctx.now() : null;
          this.ctx.logger[link === 'certificate-untrusted' ? 'warn' : 'info']({ controllerId: id, link, detail }, 'OPC UA cabinet link');
          if (link === 'certificate-untrusted' && this.options.autoTrust) void this.autoTrust(id, entry.cabinet);
        },
      });
      this.running.set(id, entry);
      entry.cabinet.start().catch((err: Error) => {
        this.failed(entry, err);
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

  /** OPCUA_AUTO_TRUST (the demo): the certificate the cabinet's server presented is trusted, in the audit log, and the cabinet connects. */
  private async autoTrust(controllerId: string, cabinet: OpcuaCabinet): Promise<void> {
    const der = cabinet.presentedCertificate;
    if (!der || this.closed) return;
    const thumbprint = thumbprintOf(der);
    // Several cabinets of one server meet its certificate at once: trusted (and audited) once.
    let trusting = this.autoTrusted.get(thumbprint);
    if (!trusting) {
      trusting = this.trust.trustPresented(der).then(() => {
        this.ctx.audit.record('OPCUA_AUTO_TRUST', 'lighting.opcua.certificate.trust', thumbprint, { controllerId, automatic: true });
        this.ctx.logger.warn({ controllerId, thumbprint }, 'OPC UA server certificate trusted automatically (OPCUA_AUTO_TRUST)');
      });
      this.autoTrusted.set(thumbprint, trusting);
    }
    try {
      await trusting;
      // A cabinet refused before the trust was made connects again now; one refused after it
      // (an admin took the trust back) is left refused, not retried in a loop.
      if (await this.trust.isTrusted(der)) await this.retryUntrusted();
    } catch (err) {
      this.autoTrusted.delete(thumbprint);
      this.ctx.logger.warn({ controllerId, err: (err as Error).message }, 'OPC UA server certificate could not be trusted');
    }
  }

  private failed(r: Running, err: Error): void {
    r.detail = err.message;
    r.failedAtMs = this.ctx.now();
  }

  /** Every cabinet refused for its server's certificate connects again (after a trust). */
  async retryUntrusted(): Promise<void> {
    await Promise.all([...this.running.values()].filter((r) => r.cabinet.link === 'certificate-untrusted').map((r) =>
      r.cabinet.retry().catch((err: Error) => this.failed(r, err))));
  }

  /** Cabinets connected with a certificate whose trust was taken back start afresh (and are refused). */
  dropConnectedWith(thumbprint: string): void {
    for (const [id, r] of this.running) {
      const presented = r.cabinet.presentedCertificate;
      if (presented && thumbprintOf(presented) === thumbprint) {
        this.running.delete(id);
        void r.cabinet.stop();
      }
    }
    this.reconcile();
  }

  /** The client of a cabinet, when it is driven over OPC UA. */
  cabinet(controllerId: string): OpcuaCabinet | undefined {
    return this.running.get(controllerId)?.cabinet;
  }

  status(): OpcuaCabinetStatus[] {
    return [...this.bindings()].map(([id, b]) => {
      const r = this.running.get(id);
      return {
        controllerId: id, ...b, securityMode: r?.cabinet.securityMode ?? this.models.get(b.model)?.securityMode ?? null,
        link: !r || r.failedAtMs !== null ? 'unreachable' : r.cabinet.link, detail: r ? r.detail : 'not running: device missing, disabled, not opcua, or model unknown',
        untrustedCertificate: r?.cabinet.untrustedCertificate ?? null,
      };
    });
  }

  /**
   * The `lighting-opcua` health component: degraded while a cabinet waits for an admin to trust
   * its server's certificate (a step in the hub itself); an unreachable cabinet is named in the
   * detail but, like a silent MQTT cabinet, is a field fault (`no-communication`), not the hub's.
   */
  health(): ComponentStatus | undefined {
    const all = this.status();
    if (all.length === 0) return undefined;
    const count = (link: CabinetLink) => all.filter((s) => s.link === link).length;
    const untrusted = count('certificate-untrusted');
    const unreachable = count('unreachable');
    const parts = [`${count('connected')} of ${all.length} cabinets connected`];
    if (untrusted) parts.push(`${untrusted} certificate-untrusted (an admin trusts it: GET /api/v1/lighting/opcua/certificates)`);
    if (unreachable) parts.push(`${unreachable} unreachable`);
    return { status: untrusted ? 'degraded' : 'ok', detail: parts.join(', ') };
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.running.values()].map((r) => r.cabinet.stop()));
    this.running.clear();
    await this.trust.dispose().catch(() => undefined);
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
      await deps.fleet.bind(d.id, req.body);
      deps.ctx.audit.record(req.principal?.name ?? 'unknown', 'lighting.opcua.bind', d.id, req.body);
      deps.changed();
      return req.body;
    });
    app.get('/api/v1/lighting/opcua', {
      preHandler: operators,
      schema: { tags, summary: 'OPC UA cabinets and whether each is reachable', response: { 200: z.array(OpcuaCabinetStatus) } },
    }, async () => deps.fleet.status());
  };
