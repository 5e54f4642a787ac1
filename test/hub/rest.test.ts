import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestHub, type TestHub } from '../support/hub.ts';
import { REGISTRY_KINDS, testRegistry } from '../support/registries.ts';

interface ErrorBody { statusCode: number; message: string; issues?: { field: string; reason: string }[] }

// The same suite with the registry on the embedded SQLite file and on PostgreSQL (DATABASE_URL).
describe.each(REGISTRY_KINDS)('REST API, registry on %s', (kind) => {
  const registry = testRegistry(kind);
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub(await registry.env());
  });
  afterAll(async () => {
    await t?.stop();
    await registry.stop();
  });

  it('health needs no token and names each component', async () => {
    const res = await t.api('/api/v1/health', { token: null });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; components: Record<string, { status: string }> };
    expect(body.status).toBe('ok');
    expect(Object.keys(body.components).sort()).toEqual(['cluster', 'energy', 'gateways', 'ingest', 'lighting', 'mqtt', 'registry', 'spool', 'store', 'transit']);
  });

  it('refuses requests without a token or with the wrong role', async () => {
    expect((await t.api('/api/v1/devices', { token: null })).status).toBe(401);
    expect((await t.api('/api/v1/devices', { token: 'nope' })).status).toBe(401);
    const tok = await t.api('/api/v1/tokens', { method: 'POST', json: { name: 'stop display 12', roles: ['display'] } });
    expect(tok.status).toBe(201);
    const { token } = (await tok.json()) as { token: string };
    expect((await t.api('/api/v1/devices', { token })).status).toBe(403);
    expect((await t.api('/api/v1/transit/vehicles', { token })).status).toBe(200);
    expect((await t.api('/api/v1/lighting/controllers', { token })).status).toBe(403);
  });

  it('registers, reads, changes and deletes a device, with an audit trail', async () => {
    const created = await t.api('/api/v1/devices', { method: 'POST', json: { id: 'mtr-1', kind: 'energy-meter', protocol: 'mqtt', buildingId: 'school-5', name: 'School No. 5' } });
    expect(created.status).toBe(201);
    const body = (await created.json()) as { id: string; secret: string; enabled: boolean };
    expect(body.secret).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(body.enabled).toBe(true);

    const got = (await (await t.api('/api/v1/devices/mtr-1')).json()) as Record<string, unknown>;
    expect(got).toMatchObject({ id: 'mtr-1', kind: 'energy-meter', buildingId: 'school-5' });
    expect(got).not.toHaveProperty('secret');

    const patched = await t.api('/api/v1/devices/mtr-1', { method: 'PATCH', json: { name: 'School No. 5, main meter' } });
    expect(((await patched.json()) as { name: string }).name).toBe('School No. 5, main meter');
    expect((await t.api('/api/v1/devices/mtr-1', { method: 'DELETE' })).status).toBe(204);
    expect((await t.api('/api/v1/devices/mtr-1')).status).toBe(404);

    const audit = (await (await t.api('/api/v1/audit')).json()) as { action: string; target: string; actor: string }[];
    expect(audit.filter((a) => a.target === 'mtr-1').map((a) => a.action)).toEqual(['device.delete', 'device.update', 'device.create']);
    expect(audit.every((a) => !JSON.stringify(a).includes(body.secret))).toBe(true);
  });

  it('answers 400 naming the field and the reason', async () => {
    const cases: [unknown, string, RegExp][] = [
      [{ id: 'trk-x', kind: 'tracker', protocol: 'teltonika', vehicleId: 'TB-1' }, 'loginId', /15-digit IMEI/],
      [{ id: 'trk-x', kind: 'tracker', protocol: 'mqtt', imei: '123', vehicleId: 'TB-1' }, 'imei', /15 digits/],
      [{ id: 'bad/id', kind: 'energy-meter', protocol: 'mqtt' }, 'id', /must be 1–64 characters/],
      [{ id: 'x1', kind: 'lighting-controller', protocol: 'gt06' }, 'protocol', /speaks mqtt, opcua/],
      [{ id: 'x2', kind: 'energy-meter', protocol: 'mqtt', colour: 'red' }, 'colour', /unknown field/],
      [{ id: 'x3', kind: 'energy-meter', protocol: 'mqtt', lat: 123 }, 'lat', /≤ 90/],
    ];
    for (const [json, field, reason] of cases) {
      const res = await t.api('/api/v1/devices', { method: 'POST', json });
      expect(res.status, JSON.stringify(json)).toBe(400);
      const err = (await res.json()) as ErrorBody;
      const issue = err.issues?.find((i) => i.field === field);
      expect(issue, `${field} in ${JSON.stringify(err)}`).toBeDefined();
      expect(issue!.reason).toMatch(reason);
    }
  });

  it('refuses a second device with the same id or IMEI (409)', async () => {
    const d = { id: 'trk-dup', kind: 'tracker', protocol: 'teltonika', imei: '356307042441555', vehicleId: 'BUS-1' };
    expect((await t.api('/api/v1/devices', { method: 'POST', json: d })).status).toBe(201);
    const again = await t.api('/api/v1/devices', { method: 'POST', json: d });
    expect(again.status).toBe(409);
    const sameImei = await t.api('/api/v1/devices', { method: 'POST', json: { ...d, id: 'trk-dup2' } });
    expect(((await sameImei.json()) as ErrorBody).issues?.[0]?.field).toBe('imei');
  });

  it('imports devices from CSV and answers row by row', async () => {
    const csv = [
      'id,kind,protocol,imei,vehicleId,routeId,lat,lon',
      'csv-1,tracker,teltonika,356307042441701,TB-301,T3,,',
      'csv-2,tracker,gt06,35630704244170,TB-302,T3,,', // IMEI too short
      '"csv-3",lighting-controller,mqtt,,,,48.51,32.26',
      'csv-1,tracker,gt06,356307042441702,TB-303,T3,,', // duplicate id
      'csv-4,energy-meter,mqtt,,,,95,32.2', // bad latitude
    ].join('\n');
    const res = await t.api('/api/v1/devices/import', { method: 'POST', body: csv, headers: { 'content-type': 'text/csv' } });
    expect(res.status).toBe(200);
    const out = (await res.json()) as { created: number; refused: number; rows: { line: number; id: string; status: string; error?: string; secret?: string }[] };
    expect(out.created).toBe(2);
    expect(out.refused).toBe(3);
    expect(out.rows.map((r) => [r.line, r.status])).toEqual([[2, 'created'], [3, 'refused'], [4, 'created'], [5, 'refused'], [6, 'refused']]);
    expect(out.rows[1]!.error).toMatch(/imei: must be 15 digits/);
    expect(out.rows[2]!.secret).toBeTruthy();
    expect(out.rows[3]!.error).toMatch(/already registered/);
    expect(out.rows[4]!.error).toMatch(/lat: must be ≤ 90/);
    expect((await t.api('/api/v1/devices/csv-3')).status).toBe(200);
  });

  it('refuses CSV with unknown columns, naming them', async () => {
    const res = await t.api('/api/v1/devices/import', { method: 'POST', body: 'id,kind,protocol,colour\nz,tracker,mqtt,red', headers: { 'content-type': 'text/csv' } });
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).message).toMatch(/unknown column\(s\): colour/);
  });

  it('users sign in and get a session token with their roles', async () => {
    const created = await t.api('/api/v1/users', { method: 'POST', json: { username: 'olena', password: 'correct horse battery', roles: ['dispatcher'] } });
    expect(created.status).toBe(201);
    const weak = await t.api('/api/v1/users', { method: 'POST', json: { username: 'petro', password: 'short', roles: ['energy'] } });
    expect(((await weak.json()) as ErrorBody).issues?.[0]).toMatchObject({ field: 'password' });

    const bad = await t.api('/api/v1/auth/login', { method: 'POST', token: null, json: { username: 'olena', password: 'wrong password!!' } });
    expect(bad.status).toBe(401);
    const good = await t.api('/api/v1/auth/login', { method: 'POST', token: null, json: { username: 'olena', password: 'correct horse battery' } });
    expect(good.status).toBe(200);
    const { token, roles } = (await good.json()) as { token: string; roles: string[] };
    expect(roles).toEqual(['dispatcher']);
    expect((await t.api('/api/v1/transit/vehicles', { token })).status).toBe(200);
    expect((await t.api('/api/v1/users', { token })).status).toBe(403);
  });

  it('serves OpenAPI docs and Prometheus metrics', async () => {
    const spec = (await (await t.api('/docs/json', { token: null })).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(spec.paths)).toEqual(expect.arrayContaining(['/api/v1/devices', '/api/v1/transit/vehicles', '/api/v1/transit/vehicles/{vehicleId}/track', '/api/v1/health']));
    const metrics = await (await t.api('/metrics', { token: null })).text();
    expect(metrics).toMatch(/^# HELP mistohub_messages_received_total/m);
    expect(metrics).toMatch(/^mistohub_store_write_seconds_bucket/m);
  });

  it('hides internals of 5xx and answers unknown routes with 404 JSON', async () => {
    const res = await t.api('/api/v1/nope');
    expect(res.status).toBe(404);
    expect(((await res.json()) as ErrorBody).message).toMatch(/no route GET \/api\/v1\/nope/);
  });

  it('the admin token from HUB_ADMIN_TOKEN works, and security headers are set', async () => {
    const res = await t.api('/api/v1/users', { token: ADMIN_TOKEN });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
  });
});
