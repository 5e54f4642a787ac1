/**
 * A stand-in for the hub's HTTP side, for dashboard tests: the real `buildDashboards()` output
 * served by fastify, plus a real Socket.IO server on the same port that checks `auth.token`
 * and sends contract-shaped `snapshot` and batch events.
 */
import type { AddressInfo } from 'node:net';
import helmet from '@fastify/helmet';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { Server, type Namespace, type Socket } from 'socket.io';
import type { ControllerState } from '../../services/contracts/lighting.ts';
import type { MeterState } from '../../services/contracts/energy.ts';
import type { Health } from '../../services/contracts/system.ts';
import type { TransitRoute, VehicleState } from '../../services/contracts/transit.ts';
import { buildDashboards } from '../../dashboards/build.ts';

export const TOKEN = 'test-token-dispatcher-0123456789abcdef';
export const USER = { username: 'dispatcher', password: 'correct horse battery staple' };

export interface FakeHub {
  url: string;
  vehicles: Map<string, VehicleState>;
  controllers: Map<string, ControllerState>;
  meters: Map<string, MeterState>;
  /** updates the state and sends one `vehicles` batch to every `/transit` client */
  emitVehicles(batch: VehicleState[]): void;
  emitControllers(batch: ControllerState[]): void;
  emitMeters(batch: MeterState[]): void;
  /** connected `/transit` clients */
  transitClients(): number;
  close(): Promise<void>;
}

const iso = (msAgo: number): string => new Date(Date.now() - msAgo).toISOString();

export function vehicle(over: Partial<VehicleState> & { vehicleId: string }): VehicleState {
  return {
    deviceId: `trk-${over.vehicleId}`,
    routeId: '1',
    lat: 48.51,
    lon: 32.26,
    speedKmh: 20,
    courseDeg: 90,
    ts: iso(3_000),
    receivedAt: iso(2_000),
    stale: false,
    demo: true,
    ...over,
  };
}

/** Two routes of the sample vehicles, as `GET /api/v1/transit/routes` gives them. */
export function sampleRoutes(): TransitRoute[] {
  const stop = (stopId: string, name: string, lat: number, lon: number) => ({ stopId, name, lat, lon });
  const one = [stop('s-a', 'Вокзал', 48.5062, 32.2412), stop('s-b', 'Ринок', 48.51, 32.25), stop('s-c', 'Університет', 48.5135, 32.2591)];
  const six = [stop('s-d', 'Балка', 48.5221, 32.2903), stop('s-b', 'Ринок', 48.51, 32.25), stop('s-e', 'Ковалівка', 48.4902, 32.2318)];
  const route = (routeId: string, color: string, stops: typeof one): TransitRoute => ({
    routeId,
    shortName: routeId,
    longName: `${stops[0]!.name} — ${stops.at(-1)!.name}`,
    type: 11,
    color,
    textColor: '#FFFFFF',
    directions: [{ directionId: 0, headsign: stops.at(-1)!.name, shapeId: `${routeId}-0`, shape: stops.map((s) => [s.lat, s.lon] as [number, number]), stopIds: stops.map((s) => s.stopId) }],
    stops,
  });
  return [route('1', '#E53935', one), route('36', '#1E88E5', six)];
}

export function sampleVehicles(): VehicleState[] {
  return [
    vehicle({ vehicleId: 'T-101', routeId: '1', lat: 48.5135, lon: 32.2591, speedKmh: 23, courseDeg: 45 }),
    vehicle({ vehicleId: 'T-102', routeId: '1', lat: 48.5062, lon: 32.2412, speedKmh: 0, courseDeg: 180 }),
    vehicle({ vehicleId: 'T-205', routeId: '3', lat: 48.4981, lon: 32.2755, speedKmh: 31, courseDeg: 270 }),
    vehicle({ vehicleId: 'B-4410', routeId: '36', lat: 48.5221, lon: 32.2903, speedKmh: 44, courseDeg: 300 }),
    vehicle({ vehicleId: 'B-4415', routeId: '36', lat: 48.4902, lon: 32.2318, speedKmh: 12, courseDeg: 10 }),
    vehicle({ vehicleId: 'T-310', routeId: '10', lat: 48.5301, lon: 32.2649, speedKmh: null, courseDeg: null, ts: iso(400_000), receivedAt: iso(399_000), stale: true }),
  ];
}

function controller(over: Partial<ControllerState> & { controllerId: string }): ControllerState {
  return {
    name: null,
    groupId: 'center',
    lat: 48.51,
    lon: 32.26,
    ts: iso(10_000),
    receivedAt: iso(9_000),
    level: 100,
    on: true,
    powerW: 4200,
    voltageV: 229,
    energyKWh: 1532.4,
    faults: [],
    stale: false,
    demo: true,
    ...over,
  };
}

export function sampleControllers(): ControllerState[] {
  return [
    controller({ controllerId: 'SH-001', name: 'вул. Велика Перспективна, 12', groupId: 'center', lat: 48.5101, lon: 32.2632, level: 100, powerW: 4210 }),
    controller({ controllerId: 'SH-002', name: 'просп. Університетський, 3', groupId: 'center', lat: 48.5042, lon: 32.2544, level: 60, powerW: 2630 }),
    controller({ controllerId: 'SH-017', name: 'вул. Короленка, 50', groupId: 'north', lat: 48.5265, lon: 32.2711, level: 50, powerW: 9800, faults: ['power-mismatch', 'lamp-failure'] }),
    controller({ controllerId: 'SH-023', name: 'вул. Полтавська, 71', groupId: 'east', lat: 48.5152, lon: 32.2952, level: 100, voltageV: 262, faults: ['voltage-out-of-range'] }),
    controller({ controllerId: 'SH-031', name: 'вул. Яновського, 8', groupId: 'south', lat: 48.4923, lon: 32.2478, level: 0, on: false, powerW: 0 }),
    controller({ controllerId: 'SH-044', name: null, groupId: null, lat: null, lon: null, level: 70, powerW: 1900, stale: true, ts: iso(900_000), receivedAt: iso(899_000) }),
  ];
}

function meter(over: Partial<MeterState> & { meterId: string }): MeterState {
  return {
    name: null,
    buildingId: 'school-5',
    ts: iso(30_000),
    receivedAt: iso(29_000),
    value: 12345.678,
    unit: 'kWh',
    powerW: 12_500,
    stale: false,
    demo: true,
    ...over,
  };
}

export function sampleMeters(): MeterState[] {
  return [
    meter({ meterId: 'EM-0001', name: 'Школа № 5, ввід 1', buildingId: 'school-5', value: 84211.52, powerW: 18_400 }),
    meter({ meterId: 'EM-0002', name: 'Школа № 5, ввід 2', buildingId: 'school-5', value: 30112.07, powerW: 6_200 }),
    meter({ meterId: 'EM-0107', name: 'Дитсадок № 12', buildingId: 'kindergarten-12', value: 11210.4, powerW: 4_900 }),
    meter({ meterId: 'HM-0107', name: 'Дитсадок № 12, тепло', buildingId: 'kindergarten-12', value: 412.316, unit: 'Gcal', powerW: 85_000 }),
    meter({ meterId: 'EM-0300', name: 'Лікарня № 1', buildingId: 'hospital-1', value: 502311.9, powerW: 96_300 }),
    meter({ meterId: 'EM-0412', name: 'Міська рада', buildingId: 'city-hall', value: 70210.33, powerW: null, stale: true, ts: iso(7_200_000), receivedAt: iso(7_199_000) }),
  ];
}

function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice(7) : null;
}

function guard(ns: Namespace, send: (socket: Socket) => void): void {
  ns.use((socket, next) => {
    const token: unknown = socket.handshake.auth.token;
    if (token === TOKEN) next();
    else next(Object.assign(new Error('unauthorized'), { data: { statusCode: 401 } }));
  });
  ns.on('connection', send);
}

export async function startFakeHub(): Promise<FakeHub> {
  const assets = await buildDashboards();
  const app: FastifyInstance = Fastify({ logger: false });
  // helmet's default Content-Security-Policy, as a hub would send: the pages must work under it
  await app.register(helmet);
  const vehicles = new Map(sampleVehicles().map((v) => [v.vehicleId, v]));
  const controllers = new Map(sampleControllers().map((c) => [c.controllerId, c]));
  const meters = new Map(sampleMeters().map((m) => [m.meterId, m]));

  for (const [path, asset] of assets) {
    app.get(path, async (_req, reply) => reply.type(asset.contentType).send(asset.body));
  }
  app.post('/api/v1/auth/login', async (req, reply) => {
    const body = req.body as { username?: unknown; password?: unknown } | undefined;
    if (body?.username === USER.username && body.password === USER.password) return { token: TOKEN, roles: ['dispatcher'] };
    return reply.code(401).send({ statusCode: 401, error: 'Unauthorized', message: 'wrong username or password' });
  });
  const rest = <T>(path: string, items: () => T): void => {
    app.get(path, async (req, reply) => {
      if (bearer(req) !== TOKEN) return reply.code(401).send({ statusCode: 401, error: 'Unauthorized', message: 'bad token' });
      return items();
    });
  };
  rest('/api/v1/transit/vehicles', () => [...vehicles.values()]);
  rest('/api/v1/transit/routes', () => sampleRoutes());
  rest('/api/v1/transit/map', () => ({ tileUrl: null }));
  rest('/api/v1/transit/ops-alerts', () => []);
  // The dispatch page's headway strip and service-alert editor: nothing to show.
  rest('/api/v1/transit/headways', () => []);
  rest('/api/v1/transit/service-alerts', () => []);
  // The dispatch page's vehicle panel: the sample vehicles run no trip.
  app.get('/api/v1/transit/vehicles/:vehicleId/trip', async (req, reply) => {
    if (bearer(req) !== TOKEN) return reply.code(401).send({ statusCode: 401, error: 'Unauthorized', message: 'bad token' });
    const { vehicleId } = req.params as { vehicleId: string };
    return {
      vehicleId, tripId: null, routeId: vehicles.get(vehicleId)?.routeId ?? null, directionId: null, startDate: null, startTime: null, manual: false, delayS: null,
      progressM: null, offRouteM: null, offRoute: false, stale: false, headway: null, lastPositionAt: null, nextStops: [],
    };
  });
  rest('/api/v1/lighting/controllers', () => [...controllers.values()]);
  // The lighting page's OPC UA certificate banner: no cabinet waits for a trust.
  rest('/api/v1/lighting/opcua', () => []);
  rest('/api/v1/energy/meters', () => [...meters.values()]);
  app.get('/api/v1/health', async (): Promise<Health> => ({
    status: 'ok',
    version: '0.1.0-test',
    uptimeS: 12,
    components: { mqtt: { status: 'ok' }, store: { status: 'ok', detail: 'embedded' }, registry: { status: 'ok' } },
  }));

  const io = new Server(app.server);
  const transit = io.of('/transit');
  const lighting = io.of('/lighting');
  const energy = io.of('/energy');
  guard(transit, (s) => s.emit('snapshot', [...vehicles.values()]));
  guard(lighting, (s) => s.emit('snapshot', [...controllers.values()]));
  guard(energy, (s) => s.emit('snapshot', [...meters.values()]));

  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    vehicles,
    controllers,
    meters,
    emitVehicles(batch) {
      for (const v of batch) vehicles.set(v.vehicleId, v);
      transit.emit('vehicles', batch);
    },
    emitControllers(batch) {
      for (const c of batch) controllers.set(c.controllerId, c);
      lighting.emit('controllers', batch);
    },
    emitMeters(batch) {
      for (const m of batch) meters.set(m.meterId, m);
      energy.emit('meters', batch);
    },
    transitClients: () => transit.sockets.size,
    async close() {
      io.disconnectSockets(true);
      await new Promise<void>((resolve) => io.close(() => resolve()));
      await app.close().catch(() => undefined);
    },
  };
}
