import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { GroupId, OpcuaModel, OpcuaModelRecord, type OpcuaNodeRef } from '../../contracts/index.ts';
import { HttpError } from '../../http/auth.ts';
import type { AuditSink, AuthPolicy } from '../../platform/domain-module.ts';
import type { Db } from '../../registry/database.ts';

/** A node reference with its scale made explicit (a bare node id has scale 1). */
export function nodeOf(ref: OpcuaNodeRef): { nodeId: string; scale: number } {
  return typeof ref === 'string' ? { nodeId: ref, scale: 1 } : ref;
}

/** Controller models of OPC UA cabinets: which node holds which quantity, and its scale. */
export class OpcuaModels {
  constructor(private readonly db: Db) {}

  put(modelId: string, model: OpcuaModel, nowMs: number): OpcuaModelRecord {
    this.db.prepare('INSERT INTO lighting_models (id, body, updated_at) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at')
      .run(modelId, JSON.stringify(model), nowMs);
    return this.get(modelId)!;
  }

  get(modelId: string): OpcuaModelRecord | undefined {
    const row = this.db.prepare('SELECT id, body, updated_at FROM lighting_models WHERE id = ?').get(modelId) as { id: string; body: string; updated_at: number } | undefined;
    return row && { ...OpcuaModel.parse(JSON.parse(row.body)), modelId: row.id, updatedAt: new Date(row.updated_at).toISOString() };
  }

  list(): OpcuaModelRecord[] {
    const rows = this.db.prepare('SELECT id FROM lighting_models ORDER BY id').all() as { id: string }[];
    return rows.map((r) => this.get(r.id)!);
  }
}

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
      const saved = deps.models.put(req.params.modelId, req.body, deps.now());
      deps.audit.record(req.principal?.name ?? 'unknown', 'lighting.model.put', req.params.modelId, req.body);
      return saved;
    });
  };
