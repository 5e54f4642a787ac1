import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControllerState, Device, LightingCommandRecord, LightingGroup, OpcuaCabinetStatus } from '../../services/contracts/index.ts';
import { lightingDomainWith } from '../../services/lighting/module.ts';
import { setUpDemoLighting } from '../../simulators/city/lighting-demo.ts';
import { DEMO_OPCUA_SERVERS, demoOpcuaCabinets, demoOpcuaModelId, setUpDemoOpcua, startDemoOpcua, type DemoOpcua } from '../../simulators/city/opcua-demo.ts';
import { ADMIN_TOKEN, eventually, startTestHub, type TestHub } from '../support/hub.ts';
import { makeTempDir } from '../support/temp-dir.ts';

describe('the demo city\'s OPC UA cabinets (pure set-up)', () => {
  it('puts several cabinets on each server, one server in SignAndEncrypt, each cabinet in a district with its model', () => {
    const cabinets = demoOpcuaCabinets({ perServer: 3 });
    expect(cabinets).toHaveLength(3 * DEMO_OPCUA_SERVERS.length);
    expect(new Set(cabinets.map((c) => c.device.id)).size).toBe(cabinets.length);
    for (const c of cabinets) {
      expect(c.device).toMatchObject({ kind: 'lighting-controller', protocol: 'opcua', model: demoOpcuaModelId(c.device.id), demo: true });
      expect(c.device.groupId).toBeTruthy();
      expect(c.device.name).toMatch(/^ШУО-OPC-\d\d /);
      expect(c.model.read.level).toEqual({ nodeId: `ns=1;s=${c.device.id}.DimLevel`, scale: 0.1 });
      expect(c.model.securityMode).toBe(DEMO_OPCUA_SERVERS[c.server]!.secure ? 'SignAndEncrypt' : 'None');
      expect(c.ratedW).toBeGreaterThan(0);
    }
    expect(new Set(cabinets.map((c) => c.model.securityMode))).toEqual(new Set(['None', 'SignAndEncrypt']));
  });
});

/** What `npm start` does for OPC UA lighting, against a real hub with OPCUA_AUTO_TRUST as the demo sets it. */
describe('the demo city\'s OPC UA cabinets on a real hub', () => {
  const dir = makeTempDir('opcua-demo');
  // Four cabinets per server, as `npm start` runs them: those of the SignAndEncrypt server are
  // refused at once for its certificate and must all connect after the automatic trust.
  const cabinets = demoOpcuaCabinets({ perServer: 4 });
  let t: TestHub;
  let demo: DemoOpcua;

  beforeAll(async () => {
    t = await startTestHub({ OPCUA_AUTO_TRUST: 'true' }, { domains: [lightingDomainWith({ tickMs: 200, opcuaBackoff: { initialMs: 200, maxMs: 1_000 } })] });
    demo = await startDemoOpcua({ dataDir: dir.path, cabinets });
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
    await demo?.stop();
    dir.remove();
  });

  it('registers the cabinets with protocol opcua, endpointUrl and model, groups them, and they connect, report and obey a group override', async () => {
    expect(demo.servers).toHaveLength(DEMO_OPCUA_SERVERS.length);
    const r = await setUpDemoOpcua({ baseUrl: t.httpUrl, token: ADMIN_TOKEN, devices: demo.devices, models: demo.models });
    expect(r.registered.sort()).toEqual(cabinets.map((c) => c.device.id).sort());
    for (const d of demo.devices) {
      const got = (await (await t.api(`/api/v1/devices/${d.id}`)).json()) as Device;
      expect(got).toMatchObject({ protocol: 'opcua', model: demoOpcuaModelId(d.id), endpointUrl: demo.servers[cabinets.find((c) => c.device.id === d.id)!.server]!.endpointUrl });
    }
    const lighting = await setUpDemoLighting({ baseUrl: t.httpUrl, token: ADMIN_TOKEN, devices: demo.devices });
    expect(lighting.created.length).toBeGreaterThan(0);
    const groups = (await (await t.api('/api/v1/lighting/groups')).json()) as LightingGroup[];
    expect(groups.flatMap((g) => g.controllerIds).sort()).toEqual(demo.devices.map((d) => d.id).sort());

    // Both servers' cabinets connect: the secure one's certificate trusted by the demo's setting.
    await eventually(async () => {
      const s = (await (await t.api('/api/v1/lighting/opcua')).json()) as OpcuaCabinetStatus[];
      return s.length === demo.devices.length && s.every((c) => c.link === 'connected');
    }, 90_000, 'every demo OPC UA cabinet connected');
    const modes = ((await (await t.api('/api/v1/lighting/opcua')).json()) as OpcuaCabinetStatus[]).map((c) => c.securityMode);
    expect(new Set(modes)).toEqual(new Set(['None', 'SignAndEncrypt']));
    // The secure server's certificate, met by each of its cabinets, is trusted (and audited) once.
    const trusts = ((await (await t.api('/api/v1/audit')).json()) as { action: string; actor: string }[]).filter((a) => a.action === 'lighting.opcua.certificate.trust');
    expect(trusts).toHaveLength(1);
    expect(trusts[0]!.actor).toBe('OPCUA_AUTO_TRUST');

    // A group override reaches every OPC UA cabinet of the group, written and read back.
    const group = groups.find((g) => g.controllerIds.length > 0)!;
    expect((await t.api('/api/v1/lighting/overrides', { method: 'POST', json: { groupId: group.groupId, level: 64, expiresAt: new Date(Date.now() + 600_000).toISOString() } })).status).toBe(201);
    for (const id of group.controllerIds) {
      const cmd = await eventually(async () => ((await (await t.api(`/api/v1/lighting/commands?controllerId=${id}`)).json()) as LightingCommandRecord[]).find((c) => c.level === 64 && c.state === 'acknowledged'), 30_000, `the override acknowledged by ${id}`);
      expect(cmd.detail).toBe('read back 64');
      const server = demo.servers[cabinets.find((c) => c.device.id === id)!.server]!;
      expect(server.cabinets.get(id)!.setpoint).toBe(640);
    }
    await eventually(async () => {
      const live = (await (await t.api('/api/v1/lighting/controllers')).json()) as ControllerState[];
      return group.controllerIds.every((id) => live.find((c) => c.controllerId === id)?.level === 64);
    }, 30_000, 'the group\'s cabinets reporting level 64');

    // A restart of the demo: same devices kept; a server on a new port moves its cabinets.
    expect((await setUpDemoOpcua({ baseUrl: t.httpUrl, token: ADMIN_TOKEN, devices: demo.devices, models: demo.models })).kept.length).toBe(demo.devices.length);
    const moved = demo.devices.slice(0, 1).map((d) => ({ ...d, endpointUrl: 'opc.tcp://127.0.0.1:1/UA/Cabinets' }));
    expect((await setUpDemoOpcua({ baseUrl: t.httpUrl, token: ADMIN_TOKEN, devices: moved, models: new Map() })).moved).toEqual([moved[0]!.id]);
    expect(((await (await t.api(`/api/v1/devices/${moved[0]!.id}`)).json()) as Device).endpointUrl).toBe('opc.tcp://127.0.0.1:1/UA/Cabinets');
  }, 180_000);
});
