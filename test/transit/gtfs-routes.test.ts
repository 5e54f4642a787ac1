/**
 * The GTFS static endpoints on a real fastify app with the hub's error handler, a real registry
 * (tokens, audit log) and the committed demo feed; requests over HTTP on a free port.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { unzipSync, zipSync } from 'fflate';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TransitRoute, TransitStop } from '../../services/contracts/index.ts';
import { requireRole } from '../../services/http/auth.ts';
import { installErrorHandler } from '../../services/http/error-handler.ts';
import { Accounts } from '../../services/registry/accounts.ts';
import { AuditLog } from '../../services/registry/audit-log.ts';
import { openRegistryDb, type Db } from '../../services/registry/database.ts';
import { sqliteRegistry } from '../../services/registry/sqlite-registry.ts';
import { GtfsHolder } from '../../services/transit/gtfs/holder.ts';
import { loadGtfs } from '../../services/transit/gtfs/load.ts';
import { loadGtfsPath, readGtfsFolder } from '../../services/transit/gtfs/read.ts';
import { gtfsRoutes } from '../../services/transit/gtfs-routes.ts';
import { DEMO_GTFS_DIR } from '../../simulators/city/demo-gtfs.ts';
import { makeTempDir } from '../support/temp-dir.ts';

const ADMIN = 'test-admin-token-0123456789abcdef';
let app: FastifyInstance;
let base: string;
let db: Db;
let audit: AuditLog;
let holder: GtfsHolder;
let dispatcher: string;
let lighting: string;
const temp = makeTempDir('gtfs-routes');
const saved: Uint8Array[] = [];

beforeAll(async () => {
  db = openRegistryDb(temp.path);
  const now = () => Date.now();
  const registry = sqliteRegistry(db);
  audit = new AuditLog(registry, now);
  const accounts = await Accounts.open(registry, audit, now);
  await accounts.setAdminToken(ADMIN);
  dispatcher = (await accounts.createToken('disp', ['dispatcher'], 'test')).token;
  lighting = (await accounts.createToken('light', ['lighting'], 'test')).token;
  const demo = loadGtfsPath(DEMO_GTFS_DIR);
  if (!demo.ok) throw new Error('demo feed does not load');
  holder = new GtfsHolder(demo.feed, DEMO_GTFS_DIR);
  app = Fastify().withTypeProvider();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);
  await app.register(gtfsRoutes({ gtfs: holder, requireRole: (...roles) => requireRole(accounts, ...roles), audit, now, saveUpload: (z) => saved.push(z) }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});

afterAll(async () => {
  await app?.close();
  db?.close();
  temp.remove();
});

const get = (path: string, token?: string) => fetch(`${base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
const post = (body: Uint8Array, token = ADMIN, type = 'application/zip') =>
  fetch(`${base}/api/v1/transit/gtfs`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': type }, body: Buffer.from(body) });

describe('GTFS static endpoints', () => {
  it('serves the feed it runs on as a zip without a token, and it round-trips', async () => {
    const res = await get('/gtfs/static.zip');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
    const committed = readGtfsFolder(DEMO_GTFS_DIR);
    expect(Object.keys(files).sort()).toEqual([...committed.keys()].sort());
    for (const [name, bytes] of committed) expect(Buffer.from(files[name]!).equals(Buffer.from(bytes)), name).toBe(true);
    const again = loadGtfs(new Map(Object.entries(files)));
    expect(again.ok).toBe(true);
    if (again.ok) expect(again.feed.trips.size).toBe(holder.feed.trips.size);
    // Cached: the same ETag answers 304.
    const etag = res.headers.get('etag')!;
    expect((await fetch(`${base}/gtfs/static.zip`, { headers: { 'if-none-match': etag } })).status).toBe(304);
  });

  it('lists stops with the routes serving them, for dispatchers and displays only', async () => {
    expect((await get('/api/v1/transit/stops')).status).toBe(401);
    expect((await get('/api/v1/transit/stops', lighting)).status).toBe(403);
    const res = await get('/api/v1/transit/stops', dispatcher);
    expect(res.status).toBe(200);
    const stops = (await res.json()) as TransitStop[];
    expect(stops.length).toBe(holder.feed.stops.size);
    const vokzal = stops.find((s) => s.stopId === 'st-vokzal')!;
    expect(vokzal).toMatchObject({ name: 'Залізничний вокзал', names: { en: 'Railway Station' }, routeIds: ['A112', 'T1', 'T5'] });
    expect(vokzal.lat).toBeCloseTo(48.523, 4);
  });

  it('lists routes with their lines and stops per direction', async () => {
    const routes = (await (await get('/api/v1/transit/routes', dispatcher)).json()) as TransitRoute[];
    expect(routes.map((r) => r.routeId)).toContain('T1');
    const t1 = routes.find((r) => r.routeId === 'T1')!;
    expect(t1).toMatchObject({ type: 11, color: '#E53935', longName: 'Залізничний вокзал — Ковалівка', longNames: { en: 'Railway Station — Kovalivka' } });
    expect(t1.directions.map((d) => d.directionId)).toEqual([0, 1]);
    const out = t1.directions[0]!;
    expect(out.shape.length).toBeGreaterThan(80);
    expect(out.shape[0]).toEqual([48.523, 32.288]);
    expect(out.stopIds[0]).toBe('st-vokzal');
    expect(t1.directions[1]!.stopIds).toEqual([...out.stopIds].reverse());
    expect(t1.stops.length).toBe(out.stopIds.length);
  });

  it('refuses a feed with errors, naming each, and keeps running on the old one', async () => {
    const files = Object.fromEntries(readGtfsFolder(DEMO_GTFS_DIR));
    const st = new TextDecoder().decode(files['stop_times.txt']).split('\n');
    st[13] = st[13]!.replace(/^([^,]+),[^,]+,/, '$1,25:7:00,');
    st[20] = st[20]!.replace(/st-[a-z-]+/, 'st-nowhere');
    files['stop_times.txt'] = new TextEncoder().encode(st.join('\n'));
    const before = holder.version;
    const res = await post(zipSync(files));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { message: string; issues: Array<{ field: string; reason: string }> };
    expect(body.message).toMatch(/^the GTFS feed has 2 errors; first: stop_times\.txt line 14: arrival_time: "25:7:00" is not HH:MM:SS/);
    expect(body.issues).toEqual([
      { field: 'stop_times.txt:14:arrival_time', reason: '"25:7:00" is not HH:MM:SS' },
      { field: 'stop_times.txt:21:stop_id', reason: '"st-nowhere" is not in stops.txt' },
    ]);
    expect(holder.version).toBe(before);
    expect((await audit.recent(5)).map((a) => a.action)).toContain('gtfs.refused');
    // Not a zip at all, or nothing.
    expect((await post(new Uint8Array([1, 2, 3]))).status).toBe(400);
    expect(((await (await post(new Uint8Array([1, 2, 3]))).json()) as { issues: unknown[] }).issues).toEqual([{ field: 'body', reason: expect.stringMatching(/^not a readable zip file/) }]);
  });

  it('lets only the admin upload', async () => {
    const res = await post(zipSync({ 'agency.txt': new Uint8Array() }), dispatcher);
    expect(res.status).toBe(403);
  });

  it('swaps a valid feed in without a restart, tells listeners, and audits it', async () => {
    const small: Record<string, string> = {
      'agency.txt': 'agency_name,agency_url,agency_timezone\nDEMO Small,https://example.org,Europe/Kyiv\n',
      'routes.txt': 'route_id,route_short_name,route_type\nR9,9,3\n',
      'stops.txt': 'stop_id,stop_name,stop_lat,stop_lon\nA,Перша,48.5,32.2\nB,Друга,48.51,32.21\n',
      'calendar.txt': 'service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\nS,1,1,1,1,1,1,1,20240101,20301231\n',
      'trips.txt': 'route_id,service_id,trip_id\nR9,S,x1\n',
      'stop_times.txt': 'trip_id,arrival_time,departure_time,stop_id,stop_sequence\nx1,08:00:00,08:00:00,A,1\nx1,08:10:00,08:10:00,B,2\n',
    };
    const heard: number[] = [];
    const off = holder.onChange((feed) => heard.push(feed.routes.size));
    const zip = zipSync(Object.fromEntries(Object.entries(small).map(([k, v]) => [k, new TextEncoder().encode(v)])));
    const res = await post(zip);
    off();
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ routes: 1, stops: 2, trips: 1, warnings: [] });
    expect(heard).toEqual([1]);
    expect(saved.at(-1)?.length).toBe(zip.length);
    const stops = (await (await get('/api/v1/transit/stops', dispatcher)).json()) as TransitStop[];
    expect(stops).toEqual([
      { stopId: 'A', name: 'Перша', lat: 48.5, lon: 32.2, routeIds: ['R9'] },
      { stopId: 'B', name: 'Друга', lat: 48.51, lon: 32.21, routeIds: ['R9'] },
    ]);
    const served = unzipSync(new Uint8Array(await (await get('/gtfs/static.zip')).arrayBuffer()));
    expect(new TextDecoder().decode(served['routes.txt'])).toBe(small['routes.txt']);
    const routes = (await (await get('/api/v1/transit/routes', dispatcher)).json()) as TransitRoute[];
    expect(routes[0]!.directions[0]!.shape).toEqual([[48.5, 32.2], [48.51, 32.21]]);
    const entry = (await audit.recent(5)).find((a) => a.action === 'gtfs.replace')!;
    expect(entry.actor).toBe('admin');
    expect(JSON.parse(entry.detail!)).toMatchObject({ routes: 1, stops: 2, trips: 1 });
  });
});
