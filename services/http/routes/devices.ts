import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CsvImportResult, Device, DeviceCreate, DeviceCreated, DeviceKind, DevicePatch, describeZodError, loginIdIssue, type CsvImportResult as CsvResult } from '../../contracts/index.ts';
import { parseCsv } from '../../registry/csv.ts';
import { DeviceConflictError } from '../../registry/devices.ts';
import type { AppDeps } from '../app.ts';
import { HttpError, requireRole } from '../auth.ts';

const MAX_CSV_ROWS = 20_000;
const NUMERIC_COLUMNS = new Set(['lat', 'lon', 'multiplier']);
const BOOLEAN_COLUMNS = new Set(['demo']);
const LOGIN_ID_HELP =
  '`loginId` is what the device logs in with: the 15-digit IMEI for Teltonika and GT06, the unit id for Wialon IPS (1–64 characters of A–Z, a–z, 0–9, _ . : -); ' +
  'MQTT and OPC UA devices log in without one (an MQTT device with its id and secret) and may leave it out. `imei` is its older name and is still accepted; answers carry both.';

export const deviceRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const admin = requireRole(deps.accounts);
    const IdParam = z.object({ id: z.string().max(64) });

    async function register(body: DeviceCreate, actor: string) {
      try {
        return await deps.devices.create(body, actor);
      } catch (err) {
        if (err instanceof DeviceConflictError) throw new HttpError(409, err.message, [{ field: err.field, reason: 'is already registered' }]);
        throw err;
      }
    }

    app.post('/api/v1/devices', { preHandler: admin, schema: { tags: ['devices'], summary: 'Register a device; an MQTT device gets its secret here, once', description: LOGIN_ID_HELP, body: DeviceCreate, response: { 201: DeviceCreated } } }, async (req, reply) => {
      const { device, secret } = await register(req.body, req.principal!.name);
      return reply.status(201).send(secret ? { ...device, secret } : device);
    });

    app.get('/api/v1/devices', { preHandler: admin, schema: { tags: ['devices'], summary: 'Every registered device', querystring: z.strictObject({ kind: DeviceKind.optional() }), response: { 200: z.array(Device) } } }, async (req) =>
      deps.devices.list(req.query.kind ? { kind: req.query.kind } : {}),
    );

    app.get('/api/v1/devices/:id', { preHandler: admin, schema: { tags: ['devices'], params: IdParam, response: { 200: Device } } }, async (req) => {
      const device = await deps.devices.find(req.params.id);
      if (!device) throw new HttpError(404, `no device "${req.params.id}"`);
      return device;
    });

    app.patch('/api/v1/devices/:id', { preHandler: admin, schema: { tags: ['devices'], summary: 'Change a device; `rotateSecret: true` issues a new secret', description: LOGIN_ID_HELP, params: IdParam, body: DevicePatch, response: { 200: DeviceCreated } } }, async (req) => {
      const current = await deps.devices.find(req.params.id);
      if (!current) throw new HttpError(404, `no device "${req.params.id}"`);
      // The body alone does not say the protocol, so its login id is checked here, against the device's.
      const issue = loginIdIssue(current.protocol, req.body);
      if (issue) throw new HttpError(400, `${issue.field}: ${issue.reason}`, [issue]);
      for (const field of ['endpointUrl', 'model'] as const) {
        if (req.body[field] !== undefined && current.protocol !== 'opcua') throw new HttpError(400, `${field}: only an OPC UA device (protocol "opcua") has it`, [{ field, reason: 'only an OPC UA device (protocol "opcua") has it' }]);
      }
      let updated;
      try {
        updated = await deps.devices.update(req.params.id, req.body, req.principal!.name);
      } catch (err) {
        if (err instanceof DeviceConflictError) throw new HttpError(409, err.message, [{ field: err.field, reason: 'is already registered' }]);
        throw err;
      }
      if (!updated) throw new HttpError(404, `no device "${req.params.id}"`);
      if (req.body.rotateSecret || req.body.enabled === false) deps.onDeviceCredentialsChanged(req.params.id);
      return updated.secret ? { ...updated.device, secret: updated.secret } : updated.device;
    });

    app.delete('/api/v1/devices/:id', { preHandler: admin, schema: { tags: ['devices'], params: IdParam } }, async (req, reply) => {
      const device = await deps.devices.find(req.params.id);
      if (!device || !(await deps.devices.remove(device.id, req.principal!.name))) throw new HttpError(404, `no device "${req.params.id}"`);
      deps.onDeviceRemoved(device);
      return reply.status(204).send();
    });

    app.post(
      '/api/v1/devices/import',
      {
        preHandler: admin,
        schema: {
          tags: ['devices'],
          summary: 'Bulk registration from CSV (text/csv, header row of field names); answers row by row',
          description: 'Columns: id,kind,protocol,name,loginId (or its older name imei),vehicleId,routeId,groupId,buildingId,lat,lon,demo,resource,unit,multiplier,endpointUrl,model. Good rows are registered even when others are refused.',
          response: { 200: CsvImportResult },
        },
      },
      async (req) => {
        if (typeof req.body !== 'string') throw new HttpError(415, 'send the CSV as text/csv');
        const rows = parseCsv(req.body);
        const header = rows.shift();
        if (!header) throw new HttpError(400, 'the CSV is empty', [{ field: 'header', reason: 'missing' }]);
        if (rows.length > MAX_CSV_ROWS) throw new HttpError(400, `at most ${MAX_CSV_ROWS} rows per import`);
        const columns = header.cells.map((c) => c.trim());
        const known = new Set(Object.keys(DeviceCreate.shape));
        const unknown = columns.filter((c) => !known.has(c));
        if (unknown.length) throw new HttpError(400, `unknown column(s): ${unknown.join(', ')}`, unknown.map((c) => ({ field: c, reason: 'unknown column' })));
        const result: CsvResult = { created: 0, refused: 0, rows: [] };
        for (const row of rows) {
          const record: Record<string, unknown> = {};
          columns.forEach((col, i) => {
            const raw = (row.cells[i] ?? '').trim();
            if (raw === '') return;
            record[col] = NUMERIC_COLUMNS.has(col) ? Number(raw) : BOOLEAN_COLUMNS.has(col) ? /^(true|1|yes)$/i.test(raw) : raw;
          });
          const id = typeof record.id === 'string' ? record.id : null;
          const parsed = DeviceCreate.safeParse(record);
          if (!parsed.success) {
            result.refused++;
            result.rows.push({ line: row.line, id, status: 'refused', error: describeZodError(parsed.error) });
            continue;
          }
          try {
            const { secret } = await deps.devices.create(parsed.data, req.principal!.name);
            result.created++;
            result.rows.push({ line: row.line, id, status: 'created', ...(secret ? { secret } : {}) });
          } catch (err) {
            if (!(err instanceof DeviceConflictError)) throw err;
            result.refused++;
            result.rows.push({ line: row.line, id, status: 'refused', error: `${err.field}: ${err.message}` });
          }
        }
        return result;
      },
    );
  };
