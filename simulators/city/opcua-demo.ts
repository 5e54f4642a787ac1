/**
 * The demo city's OPC UA cabinets: node-opcua servers of the cabinet simulator, several
 * cabinets each — one server in security mode None, one in SignAndEncrypt — placed in the
 * districts like the MQTT ones, registered through the hub's REST API as an operator would
 * (a controller model each, then a device with `protocol: "opcua"`, its `endpointUrl` and
 * `model`). The hub then drives them from the same schedules, overrides and commands.
 *
 * The simulator puts several cabinets on one server, so a cabinet's node ids carry its id
 * (`ns=1;s={id}.DimLevel`) and each cabinet has its own model; a real controller is one
 * server per cabinet, and all cabinets of a vendor's model share one.
 */
import { join } from 'node:path';
import type { DeviceCreate, OpcuaModel } from '../../services/contracts/index.ts';
import { simModel, startCabinetServer, type CabinetServer } from '../lighting/opcua-cabinets.ts';
import { demoCity } from './demo-city.ts';

export interface DemoOpcuaCabinet {
  /** registration without `endpointUrl` (known once its server listens) */
  device: DeviceCreate;
  model: OpcuaModel;
  /** rated power of its lamps at full level, W */
  ratedW: number;
  /** which of the demo's servers serves it */
  server: number;
}

/** The demo's servers: how each speaks. */
export const DEMO_OPCUA_SERVERS = [{ secure: false }, { secure: true }] as const;

/** The model id of a demo OPC UA cabinet. */
export const demoOpcuaModelId = (cabinetId: string): string => `demo-sim-${cabinetId}`;

/**
 * The demo's OPC UA cabinets (pure): `perServer` on each of DEMO_OPCUA_SERVERS, placed like the
 * MQTT cabinets (another seed, so elsewhere), grouped by district.
 */
export function demoOpcuaCabinets(opts: { perServer?: number; seed?: number } = {}): DemoOpcuaCabinet[] {
  const perServer = opts.perServer ?? 4;
  const placed = demoCity({ vehicles: 0, meters: 0, controllers: perServer * DEMO_OPCUA_SERVERS.length, seed: (opts.seed ?? 1) + 100 });
  return placed.map((p, i) => {
    const n = String(i + 1).padStart(2, '0');
    const id = `demo-lco-${n}`;
    const server = Math.floor(i / perServer);
    const model = { ...simModel(id), name: `Демо-ШУО OPC UA ${n}`, securityMode: DEMO_OPCUA_SERVERS[server]!.secure ? 'SignAndEncrypt' : 'None' } satisfies OpcuaModel;
    const device: DeviceCreate = {
      id, kind: 'lighting-controller', protocol: 'opcua', model: demoOpcuaModelId(id),
      name: (p.name ?? id).replace(/^ШУО-\d+/, `ШУО-OPC-${n}`),
      ...(p.groupId ? { groupId: p.groupId } : {}), ...(p.lat !== undefined ? { lat: p.lat } : {}), ...(p.lon !== undefined ? { lon: p.lon } : {}),
      demo: true,
    };
    // 20–40 lamps of 60–150 W, as a district cabinet.
    const ratedW = (20 + ((i * 7) % 21)) * [60, 80, 100, 120, 150][i % 5]!;
    return { device, model, ratedW, server };
  });
}

export interface DemoOpcua {
  servers: CabinetServer[];
  /** registrations with their servers' endpoints */
  devices: DeviceCreate[];
  models: Map<string, OpcuaModel>;
  stop(): Promise<void>;
}

/** Starts the servers (free ports; their certificates kept under `dataDir/demo-opcua`, so a trust outlives a restart). */
export async function startDemoOpcua(opts: { dataDir: string; cabinets: readonly DemoOpcuaCabinet[] }): Promise<DemoOpcua> {
  const servers: CabinetServer[] = [];
  const devices: DeviceCreate[] = [];
  const models = new Map<string, OpcuaModel>();
  try {
    for (let s = 0; s < DEMO_OPCUA_SERVERS.length; s++) {
      const mine = opts.cabinets.filter((c) => c.server === s);
      if (mine.length === 0) continue;
      const server = await startCabinetServer({
        port: 0, pkiDir: join(opts.dataDir, 'demo-opcua', `server-${s + 1}`), secure: DEMO_OPCUA_SERVERS[s]!.secure,
        cabinets: mine.map((c) => ({ id: c.device.id, ratedW: c.ratedW })),
      });
      servers.push(server);
      for (const c of mine) {
        devices.push({ ...c.device, endpointUrl: server.endpointUrl });
        models.set(c.device.model!, c.model);
      }
    }
  } catch (err) {
    await Promise.all(servers.map((x) => x.stop().catch(() => undefined)));
    throw err;
  }
  return { servers, devices, models, stop: async () => void (await Promise.all(servers.map((x) => x.stop().catch(() => undefined)))) };
}

export interface DemoOpcuaRegistration {
  registered: string[];
  /** devices there already whose endpoint moved (a server's new port after a restart) */
  moved: string[];
  kept: string[];
}

/**
 * Puts each model and registers each cabinet on the hub at `baseUrl` (admin token); a cabinet
 * registered before gets its new endpoint. Throws with the hub's answer when refused.
 */
export async function setUpDemoOpcua(opts: { baseUrl: string; token: string; devices: readonly DeviceCreate[]; models: ReadonlyMap<string, OpcuaModel> }): Promise<DemoOpcuaRegistration> {
  const call = (method: string, path: string, body?: unknown): Promise<Response> =>
    fetch(`${opts.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${opts.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  const must = async (res: Response, what: string): Promise<Response> => {
    if (!res.ok) throw new Error(`demo OPC UA: ${what}: ${res.status} ${await res.text()}`);
    return res;
  };
  for (const [id, model] of opts.models) await must(await call('PUT', `/api/v1/lighting/models/${encodeURIComponent(id)}`, model), `model ${id}`);
  const result: DemoOpcuaRegistration = { registered: [], moved: [], kept: [] };
  for (const d of opts.devices) {
    const path = `/api/v1/devices/${encodeURIComponent(d.id)}`;
    const existing = await call('GET', path);
    if (existing.status === 404) {
      await must(await call('POST', '/api/v1/devices', d), `registering ${d.id}`);
      result.registered.push(d.id);
      continue;
    }
    const current = (await (await must(existing, `reading ${d.id}`)).json()) as { endpointUrl?: string | null; model?: string | null };
    if (current.endpointUrl === d.endpointUrl && current.model === d.model) {
      result.kept.push(d.id);
      continue;
    }
    await must(await call('PATCH', path, { endpointUrl: d.endpointUrl, model: d.model }), `moving ${d.id}`);
    result.moved.push(d.id);
  }
  return result;
}
