/**
 * OPC UA cabinet simulator: one node-opcua server holding several cabinets, each with a dim
 * setpoint (per-mille, UInt16, as many vendors), a relay, the actual level following the
 * setpoint, power following level and lamp rating, supply voltage, and injectable faults
 * (lamp failure, supply loss, door open, stuck relay). Security mode None, or SignAndEncrypt
 * (Basic256Sha256) only when `secure` is set; the server takes any client certificate (a
 * simulator), while the hub trusts the server's only once an admin says so.
 *
 * Node ids, for cabinet `{id}` in namespace 1: `ns=1;s={id}.DimSetpoint` (UInt16 0–1000, written
 * by the hub), `{id}.DimLevel` (UInt16 0–1000), `{id}.Relay` (Boolean), `{id}.PowerKW` (Double),
 * `{id}.VoltageV` (Double), `{id}.DoorOpen` (Boolean).
 */
import { join } from 'node:path';
import { DataType, MessageSecurityMode, OPCUACertificateManager, OPCUAServer, SecurityPolicy, StatusCodes, Variant, type Namespace, type UAObject } from 'node-opcua';

export interface SimCabinet {
  id: string;
  /** rated power of all its lamps at full level, W */
  ratedW: number;
  setpoint: number;
  relay: boolean;
  voltageV: number;
  doorOpen: boolean;
  faults: { lampFailure: boolean; supplyLoss: boolean; stuckRelay: boolean };
}

export interface CabinetServer {
  endpointUrl: string;
  cabinets: Map<string, SimCabinet>;
  /** the level the cabinet burns at, 0–100 */
  levelOf(id: string): number;
  stop(): Promise<void>;
}

/** The model that reads and drives these cabinets (`PUT /api/v1/lighting/models/sim-cabinet`). */
export function simModel(id: string) {
  return {
    name: 'mistohub simulated cabinet',
    read: {
      level: { nodeId: `ns=1;s=${id}.DimLevel`, scale: 0.1 },
      on: `ns=1;s=${id}.Relay`,
      powerW: { nodeId: `ns=1;s=${id}.PowerKW`, scale: 1000 },
      voltageV: `ns=1;s=${id}.VoltageV`,
      doorOpen: `ns=1;s=${id}.DoorOpen`,
    },
    write: { level: { nodeId: `ns=1;s=${id}.DimSetpoint`, scale: 0.1 }, on: `ns=1;s=${id}.Relay` },
  };
}

function levelOf(c: SimCabinet): number {
  if (c.faults.supplyLoss) return 0;
  const on = c.faults.stuckRelay ? true : c.relay;
  return on ? c.setpoint / 10 : 0;
}

function powerKw(c: SimCabinet): number {
  const level = levelOf(c);
  const working = c.faults.lampFailure ? 0.75 : 1;
  return level === 0 ? 0 : (c.ratedW * working * level) / 100 / 1000;
}

/** Starts one server on `port` (0: a free one) with the cabinets given; certificates under `pkiDir`. */
export async function startCabinetServer(opts: { port: number; pkiDir: string; cabinets: { id: string; ratedW: number }[]; secure?: boolean }): Promise<CabinetServer> {
  const serverCertificateManager = new OPCUACertificateManager({ rootFolder: join(opts.pkiDir, 'server-pki'), automaticallyAcceptUnknownCertificate: true });
  await serverCertificateManager.initialize();
  const security = opts.secure ? { securityModes: [MessageSecurityMode.SignAndEncrypt], securityPolicies: [SecurityPolicy.Basic256Sha256] } : {};
  const server = new OPCUAServer({
    port: opts.port, resourcePath: '/UA/Cabinets', serverCertificateManager, allowAnonymous: true, buildInfo: { productName: 'mistohub cabinet simulator' }, ...security,
  });
  await server.initialize();
  const addressSpace = server.engine.addressSpace!;
  const ns: Namespace = addressSpace.getOwnNamespace();
  const cabinets = new Map<string, SimCabinet>();
  for (const spec of opts.cabinets) {
    const c: SimCabinet = { id: spec.id, ratedW: spec.ratedW, setpoint: 0, relay: false, voltageV: 230, doorOpen: false, faults: { lampFailure: false, supplyLoss: false, stuckRelay: false } };
    cabinets.set(spec.id, c);
    const obj: UAObject = ns.addObject({ organizedBy: addressSpace.rootFolder.objects, browseName: spec.id });
    const variable = (name: string, dataType: DataType, get: () => unknown, set?: (v: Variant) => boolean) =>
      ns.addVariable({
        componentOf: obj, nodeId: `s=${spec.id}.${name}`, browseName: name, dataType: DataType[dataType],
        minimumSamplingInterval: 100,
        value: {
          get: () => new Variant({ dataType, value: get() }),
          ...(set ? { set: (v: Variant) => (set(v) ? StatusCodes.Good : StatusCodes.BadOutOfRange) } : {}),
        },
      });
    variable('DimSetpoint', DataType.UInt16, () => c.setpoint, (v) => {
      const x = Number(v.value);
      if (!Number.isInteger(x) || x < 0 || x > 1000) return false;
      c.setpoint = x;
      return true;
    });
    variable('DimLevel', DataType.UInt16, () => Math.round(levelOf(c) * 10));
    variable('Relay', DataType.Boolean, () => (c.faults.stuckRelay ? true : c.relay), (v) => {
      c.relay = Boolean(v.value);
      return true;
    });
    variable('PowerKW', DataType.Double, () => powerKw(c));
    variable('VoltageV', DataType.Double, () => (c.faults.supplyLoss ? 0 : c.voltageV));
    variable('DoorOpen', DataType.Boolean, () => c.doorOpen);
  }
  await server.start();
  const endpointUrl = server.getEndpointUrl();
  return {
    endpointUrl, cabinets,
    levelOf: (id) => levelOf(cabinets.get(id)!),
    async stop() {
      await server.shutdown(0);
      await serverCertificateManager.dispose();
    },
  };
}
