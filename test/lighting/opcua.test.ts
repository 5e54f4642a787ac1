import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataType } from 'node-opcua';
import { LightingStatePayload, OpcuaModel, type LightingState } from '../../services/contracts/index.ts';
import { OpcuaCabinet, toNodeValue, type CabinetLink } from '../../services/lighting/opcua/cabinet-client.ts';
import { OpcuaTrustStore } from '../../services/lighting/opcua/trust-store.ts';
import { simModel, startCabinetServer, type CabinetServer } from '../../simulators/lighting/opcua-cabinets.ts';
import { freePort } from '../support/free-port.ts';
import { eventually, startTestHub } from '../support/hub.ts';
import { lightingDomainWith } from '../../services/lighting/module.ts';
import type { ControllerState, LightingCommandRecord, LightingOverride } from '../../services/contracts/index.ts';
import { makeTempDir } from '../support/temp-dir.ts';

describe('values in the node\'s declared data type', () => {
  it('divides by the scale and rounds for integer types', () => {
    expect(toNodeValue(35.04, 0.1, DataType.UInt16)).toBe(350);
    expect(toNodeValue(35.06, 0.1, DataType.Int32)).toBe(351);
    expect(toNodeValue(35.06, 0.1, DataType.Double)).toBeCloseTo(350.6, 9);
    expect(toNodeValue(true, 1, DataType.Boolean)).toBe(true);
    expect(toNodeValue(0, 1, DataType.Boolean)).toBe(false);
  });
});

/** A real node-opcua server (the cabinet simulator) and the hub's OPC UA client, one server for the file. */
describe('an OPC UA cabinet through its model', () => {
  const dir = makeTempDir('opcua');
  let port: number;
  let server: CabinetServer;
  let cabinet: OpcuaCabinet;
  let trust: OpcuaTrustStore;
  const states: LightingState[] = [];
  const links: CabinetLink[] = [];

  beforeAll(async () => {
    port = await freePort();
    server = await startCabinetServer({ port, pkiDir: dir.path, cabinets: [{ id: 'opc-1', ratedW: 2000 }, { id: 'opc-2', ratedW: 1000 }] });
    trust = new OpcuaTrustStore(`${dir.path}/hub-pki`);
    cabinet = new OpcuaCabinet({
      controllerId: 'opc-1', endpointUrl: server.endpointUrl, model: OpcuaModel.parse(simModel('opc-1')), trust,
      // what the hub's ingest would take: each state checked against the MQTT payload's contract
      onState: (s) => states.push(LightingStatePayload.parse(s)),
      onLink: (l) => links.push(l),
      backoff: { initialMs: 200, maxMs: 1_000 },
    });
    await cabinet.start();
  }, 120_000);
  afterAll(async () => {
    await cabinet?.stop();
    await trust?.dispose();
    await server?.stop().catch(() => undefined);
    dir.remove();
  });

  it('subscribes and reports the cabinet in hub units', async () => {
    // the first values of the nodes may come in separate publishes: wait for all of them
    const first = await eventually(async () => states.find((x) => x.voltageV !== undefined && x.powerW !== undefined), 10_000, 'a full first state');
    expect(first).toMatchObject({ level: 0, on: false, powerW: 0, voltageV: 230 });
    expect(cabinet.link).toBe('connected');
  });

  it('writes the level as the server\'s UInt16 per-mille, confirms it read back, and power follows', async () => {
    expect(await cabinet.setLevel(35.04)).toBeCloseTo(35, 9);
    expect(server.cabinets.get('opc-1')).toMatchObject({ setpoint: 350, relay: true });
    const s = await eventually(async () => states.find((x) => x.level === 35 && x.on), 10_000, 'level 35 reported');
    expect(s.powerW).toBeCloseTo(700, 6);
    server.cabinets.get('opc-1')!.faults.lampFailure = true;
    const failed = await eventually(async () => states.find((x) => x.level === 35 && x.powerW !== undefined && Math.abs(x.powerW - 525) < 1e-6), 10_000, 'power drops with a failed lamp');
    expect(failed.on).toBe(true);
    await expect(cabinet.setLevel(120)).rejects.toThrow(/DimSetpoint: BadOutOfRange/);
  });

  it('is shown unreachable when the server goes, and reconnects and resubscribes by itself when it is back', async () => {
    await server.stop();
    await eventually(async () => cabinet.link === 'unreachable', 20_000, 'unreachable');
    server = await startCabinetServer({ port, pkiDir: dir.path, cabinets: [{ id: 'opc-1', ratedW: 2000 }] });
    server.cabinets.get('opc-1')!.setpoint = 800;
    server.cabinets.get('opc-1')!.relay = true;
    await eventually(async () => cabinet.link === 'connected', 30_000, 'connected again');
    await eventually(async () => states.find((x) => x.level === 80), 20_000, 'states from the new server');
    expect(links).toContain('unreachable');
    expect(await cabinet.setLevel(10)).toBeCloseTo(10, 9);
  });

  it('the hub drives it: states through ingest into the live view, an override written and confirmed by reading back', async () => {
    const t = await startTestHub({}, { domains: [lightingDomainWith({ tickMs: 200, opcuaBackoff: { initialMs: 200, maxMs: 1_000 } })] });
    try {
      expect((await t.api('/api/v1/lighting/models/sim-cabinet', { method: 'PUT', json: simModel('opc-1') })).status).toBe(200);
      // Registered as PRODUCT.md has it: a device with protocol "opcua", its endpointUrl and model.
      const refused = await t.api('/api/v1/devices', { method: 'POST', json: { id: 'opc-1', kind: 'lighting-controller', protocol: 'opcua', endpointUrl: 'http://x' } });
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { issues: { field: string }[] }).issues.map((i) => i.field).sort()).toEqual(['endpointUrl', 'model']);
      const mqttWithEndpoint = await t.api('/api/v1/devices', { method: 'POST', json: { id: 'mq-1', kind: 'lighting-controller', protocol: 'mqtt', endpointUrl: server.endpointUrl } });
      expect(((await mqttWithEndpoint.json()) as { issues: { field: string; reason: string }[] }).issues).toEqual([{ field: 'endpointUrl', reason: 'only an OPC UA device (protocol "opcua") has it' }]);
      await t.register({ id: 'opc-1', kind: 'lighting-controller', protocol: 'opcua', name: 'OPC UA cabinet', endpointUrl: server.endpointUrl, model: 'sim-cabinet' });
      expect(await (await t.api('/api/v1/devices/opc-1')).json()).toMatchObject({ protocol: 'opcua', endpointUrl: server.endpointUrl, model: 'sim-cabinet' });
      await eventually(async () => ((await (await t.api('/api/v1/lighting/opcua')).json()) as { link: string }[])[0]?.link === 'connected', 60_000, 'the hub connected');
      await eventually(async () => ((await (await t.api('/api/v1/lighting/controllers')).json()) as ControllerState[]).find((c) => c.controllerId === 'opc-1'), 10_000, 'opc-1 live');

      const o = (await (await t.api('/api/v1/lighting/overrides', { method: 'POST', json: { controllerId: 'opc-1', level: 42, expiresAt: new Date(Date.now() + 600_000).toISOString() } })).json()) as LightingOverride;
      const cmd = await eventually(async () => ((await (await t.api('/api/v1/lighting/commands?controllerId=opc-1')).json()) as LightingCommandRecord[]).find((c) => c.source === `override:${o.id}` && c.state === 'acknowledged'), 20_000, 'the override acknowledged');
      expect(cmd.detail).toBe('read back 42');
      expect(server.cabinets.get('opc-1')!.setpoint).toBe(420);
      await eventually(async () => ((await (await t.api('/api/v1/lighting/controllers')).json()) as ControllerState[]).find((c) => c.controllerId === 'opc-1' && c.level === 42 && c.on), 10_000, 'the reported level follows');
    } finally {
      await t.stop();
    }
  }, 120_000);
});
