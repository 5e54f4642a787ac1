import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { GroupId, OpcuaModel, OpcuaModelRecord, type OpcuaNodeRef } from '../../contracts/index.ts';
import { HttpError } from '../../http/auth.ts';
import type { AuditSink, AuthPolicy } from '../../platform/domain-module.ts';
import { CachedTable, tableChanged, type DomainTables } from '../../platform/domain-tables.ts';

/** A node reference with its scale made explicit (a bare node id has scale 1). */
export function nodeOf(ref: OpcuaNodeRef): { nodeId: string; scale: number } {
  return typeof ref === 'string' ? { nodeId: ref, scale: 1 } : ref;
}

/** Where an OPC UA cabinet is and which model reads it (a binding made over REST). */
export interface StoredBinding { endpointUrl: string; model: string }

/** One notice name for the models and the bindings (small tables: a notice reloads both). */
const TABLE = 'lighting_models';

/**
 * Controller models of OPC UA cabinets (which node holds which quantity, and its scale), and the
 * cabinets bound to them over REST. In the shared domain tables (PostgreSQL in a cluster): written
 * on any instance, held in memory on each (the fleet reads them every dispatch pass), written
 * through, reloaded on notices; `onRemoteChange` lets the fleet reconnect at once. Call `load()` first.
 */
export class OpcuaModels extends CachedTable {
  private byId = new Map<string, OpcuaModelRecord>();
  private boundNow = new Map<string, StoredBinding>();

  constructor(db: DomainTables, onRemoteChange?: () => void, onError?: (err: Error) => void) {
    super(db, TABLE, onError, onRemoteChange);
  }

  protected async reload(): Promise<void> {
    const rows = (await this.db.query<{ id: string; body: string; updated_at: number }>('SELECT id, body, updated_at FROM lighting_models')).rows;
    this.byId = new Map(rows.map((r) => [r.id, toRecord(r)]));
    const bound = (await this.db.query<{ controller_id: string; endpoint_url: string; model_id: string }>('SELECT controller_id, endpoint_url, model_id FROM lighting_opcua_bindings')).rows;
    this.boundNow = new Map(bound.map((r) => [r.controller_id, { endpointUrl: r.endpoint_url, model: r.model_id }]));
  }

  async put(modelId: string, model: OpcuaModel, nowMs: number): Promise<OpcuaModelRecord> {
    const row = await this.db.transaction(async (tx) => {
      const r = (await tx.query<{ id: string; body: string; updated_at: number }>(
        'INSERT INTO lighting_models (id, body, updated_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET body = $2, updated_at = $3 RETURNING id, body, updated_at',
        [modelId, JSON.stringify(model), nowMs],
      )).rows[0]!;
      await tableChanged(this.db, tx, TABLE);
      return r;
    });
    const saved = toRecord(row);
    this.byId.set(modelId, saved);
    return saved;
  }

  get(modelId: string): OpcuaModelRecord | undefined {
    return this.byId.get(modelId);
  }

  list(): OpcuaModelRecord[] {
    return [...this.byId.values()].sort((a, b) => (a.modelId < b.modelId ? -1 : a.modelId > b.modelId ? 1 : 0));
  }

  /** The bindings made over REST, controllerId → binding. */
  bindings(): ReadonlyMap<string, StoredBinding> {
    return this.boundNow;
  }

  async bind(controllerId: string, b: StoredBinding): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(
        'INSERT INTO lighting_opcua_bindings (controller_id, endpoint_url, model_id) VALUES ($1, $2, $3) ON CONFLICT (controller_id) DO UPDATE SET endpoint_url = $2, model_id = $3',
        [controllerId, b.endpointUrl, b.model],
      );
      await tableChanged(this.db, tx, TABLE);
    });
    this.boundNow.set(controllerId, { endpointUrl: b.endpointUrl, model: b.model });
  }
}

const toRecord = (r: { id: string; body: string; updated_at: number }): OpcuaModelRecord =>
  ({ ...OpcuaModel.parse(JSON.parse(r.body)), modelId: r.id, updatedAt: new Date(r.updated_at).toISOString() });

export const modelRoutes =
  (deps: { auth: AuthPolicy; audit: AuditSink; models: OpcuaModels; now: () => number }): FastifyPluginAsyncZod =>
  async (app) => {
    const operators = deps.auth.requireRole('lighting');
    const tags = ['lighting'];
    const params = z.strictObject({ modelId: GroupId });
    app.get('/api/v1/lighting/models', {
      preHandler: operators, schema: { tags, summary: 'OPC UA cabinet controller models', response: { 200: z.array(OpcuaModelRecord) } },
    }, async () => deps.models.list());
    app.get('/api/v1/lighting/models/:modelId', {
      preHandler: operators, schema: { tags, summary: 'One OPC UA controller model', params, response: { 200: OpcuaModelRecord } },
    }, async (req) => deps.models.get(req.params.modelId) ?? Promise.reject(new HttpError(404, `no model ${req.params.modelId}`)));
    app.put('/api/v1/lighting/models/:modelId', {
      preHandler: operators,
      schema: { tags, summary: 'How one model of OPC UA cabinet controller is read and driven: node ids and scales', params, body: OpcuaModel, response: { 200: OpcuaModelRecord } },
    }, async (req) => {
      const saved = await deps.models.put(req.params.modelId, req.body, deps.now());
      deps.audit.record(req.principal?.name ?? 'unknown', 'lighting.model.put', req.params.modelId, req.body);
      return saved;
    });
  };
