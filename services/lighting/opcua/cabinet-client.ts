/**
 * One OPC UA cabinet seen through its controller model: reached over its server's connection
 * (`connection.ts`: one per endpoint URL and security mode, shared by the cabinets one server
 * holds; None, or SignAndEncrypt with Basic256Sha256, the hub's own certificate and a server
 * certificate an admin trusted: an untrusted one leaves the cabinet `certificate-untrusted`
 * until `retry()` after the trust), its read nodes monitored (in its server's subscription) and
 * each change turned into a lighting state (hub units: value × scale), setpoints written in the
 * data type the server declares for the node (integer types get the rounded value) and
 * confirmed by reading them back, every exchange under a deadline. node-opcua reconnects with
 * backoff and restores the session and its subscriptions by itself; the link says whether the
 * cabinet is reachable.
 */
import type { ClientMonitoredItemGroup, DataType, DataValue, NodeId } from 'node-opcua';
import type { LightingStatePayload, OpcuaLink, OpcuaModel } from '../../contracts/index.ts';
import { DEFAULT_OPCUA_TIMEOUTS, OpcuaConnections, OpcuaTimeoutError, withDeadline, type OpcuaConnection, type OpcuaTimeouts } from './connection.ts';
import { nodeOf } from './models.ts';
import { loadOpcua } from './sdk.ts';
import type { OpcuaTrustStore } from './trust-store.ts';

export { DEFAULT_OPCUA_TIMEOUTS, OpcuaTimeoutError, withDeadline, type OpcuaTimeouts } from './connection.ts';

export type CabinetLink = OpcuaLink;

export interface OpcuaCabinetOptions {
  controllerId: string;
  endpointUrl: string;
  model: OpcuaModel;
  /** the hub's own certificate and the server certificates it trusts (HUB_DATA_DIR/pki/opcua-client) */
  trust: OpcuaTrustStore;
  onState(state: LightingStatePayload): void;
  onLink?(link: CabinetLink, detail?: string): void;
  now?: () => number;
  /** reconnect backoff: first wait and longest wait, ms */
  backoff?: { initialMs: number; maxMs: number };
  /** deadlines, ms: one exchange with the cabinet (a write, a read back), and connecting (secure channel, session, subscription) */
  timeouts?: Partial<OpcuaTimeouts>;
  /** the fleet's connections, shared by cabinets of one server (none: a connection of its own) */
  connections?: OpcuaConnections;
}

/**
 * The built-in data types this module tells apart, by their ids (OPC UA Part 6, ns=0;i=1…25,
 * the numbers of node-opcua's DataType), so the module needs node-opcua only once it connects.
 */
const BUILT_IN = { Boolean: 1, SByte: 2, Byte: 3, Int16: 4, UInt16: 5, Int32: 6, UInt32: 7, Int64: 8, UInt64: 9, Double: 11 } as const;
const INTEGER_TYPES = new Set<number>([BUILT_IN.SByte, BUILT_IN.Byte, BUILT_IN.Int16, BUILT_IN.UInt16, BUILT_IN.Int32, BUILT_IN.UInt32, BUILT_IN.Int64, BUILT_IN.UInt64]);

/** A hub value as the node wants it: divided by the scale, rounded for integer types. */
export function toNodeValue(hubValue: number | boolean, scale: number, dataType: DataType): number | boolean {
  if ((dataType as number) === BUILT_IN.Boolean) return typeof hubValue === 'boolean' ? hubValue : hubValue !== 0;
  const raw = typeof hubValue === 'boolean' ? (hubValue ? 1 : 0) : hubValue / scale;
  return INTEGER_TYPES.has(dataType) ? Math.round(raw) : raw;
}

type ReadKey = keyof OpcuaModel['read'];

export class OpcuaCabinet {
  private subscription: ClientMonitoredItemGroup | undefined;
  private readonly values: Partial<Record<ReadKey, number | boolean>> = {};
  private readonly dataTypes = new Map<string, DataType>();
  private emitQueued = false;
  private stopped = false;
  private attempt = 0;
  link: CabinetLink = 'connecting';
  private readonly timeouts: OpcuaTimeouts;
  private readonly connections: OpcuaConnections;
  private readonly connection: OpcuaConnection;

  constructor(private readonly o: OpcuaCabinetOptions) {
    this.timeouts = { ...DEFAULT_OPCUA_TIMEOUTS, ...o.timeouts };
    this.connections = o.connections ?? new OpcuaConnections({ trust: o.trust, backoff: o.backoff, timeouts: this.timeouts });
    this.connection = this.connections.acquire(this, o.endpointUrl, this.securityMode);
  }

  get controllerId(): string {
    return this.o.controllerId;
  }

  /** the certificate the server presented last (secure mode), DER */
  get presentedCertificate(): Buffer | undefined {
    return this.connection.presentedCertificate;
  }

  /** the thumbprint of the server certificate the hub refused for want of trust */
  get untrustedCertificate(): string | null {
    return this.connection.untrustedCertificate;
  }

  private setLink(link: CabinetLink, detail?: string): void {
    if (this.link === link) return;
    this.link = link;
    this.o.onLink?.(link, detail);
  }

  /** Its server's connection changed: connected means this cabinet is once it is subscribed. */
  connectionLink(link: OpcuaLink, detail?: string): void {
    if (this.stopped) return;
    if (this.link === 'certificate-untrusted') {
      // another cabinet of the server connected it again after a trust: this one follows
      if (link === 'connected') void this.retry().catch(() => undefined);
      return;
    }
    if (link === 'connected' && !this.subscription) return;
    this.setLink(link, detail);
  }

  get securityMode(): NonNullable<OpcuaModel['securityMode']> {
    return this.o.model.securityMode ?? 'None';
  }

  /** One exchange with the cabinet under its deadline; a miss shows the cabinet unreachable. */
  private async exchange<T>(what: string, work: Promise<T>): Promise<T> {
    try {
      return await withDeadline(work, this.timeouts.exchangeMs, `${this.o.controllerId}: ${what}`);
    } catch (err) {
      if (err instanceof OpcuaTimeoutError && !this.stopped) this.setLink('unreachable', err.message);
      throw err;
    }
  }

  /**
   * Connects (or joins its server's connection) and subscribes; resolves once subscribed
   * (node-opcua keeps retrying an unreachable server until it can, within the connect
   * deadline), or with the link `certificate-untrusted` when the server's certificate is not
   * trusted (it is then in the store's rejected folder, pending). Rejects when the deadline
   * passed or the server refused: the fleet starts the cabinet afresh after its backoff.
   */
  async start(): Promise<void> {
    const attempt = ++this.attempt;
    try {
      await this.connection.open();
      if (this.stopped || attempt !== this.attempt) return;
      if (this.connection.link === 'certificate-untrusted') {
        this.setLink('certificate-untrusted', this.connection.detail);
        return;
      }
      await withDeadline(this.subscribe(), this.timeouts.connectMs, `${this.o.controllerId}: subscribing`);
    } catch (err) {
      if (!this.stopped) this.setLink('unreachable', (err as Error).message);
      throw err;
    }
  }

  private async subscribe(): Promise<void> {
    const { AttributeIds, TimestampsToReturn } = await loadOpcua();
    const subscription = await this.connection.subscription();
    if (this.stopped) return;
    const refs = (Object.entries(this.o.model.read) as [ReadKey, OpcuaModel['read'][ReadKey]][])
      .filter((e): e is [ReadKey, NonNullable<OpcuaModel['read'][ReadKey]>] => e[1] !== undefined)
      .map(([key, ref]) => ({ key, ...nodeOf(ref) }));
    // all of the cabinet's nodes in one request
    const group = await subscription.monitorItems(
      refs.map((r) => ({ nodeId: r.nodeId, attributeId: AttributeIds.Value })),
      { samplingInterval: 100, discardOldest: true, queueSize: 1 }, TimestampsToReturn.Both,
    );
    group.on('changed', (_item: unknown, dv: DataValue, index: number) => {
      const r = refs[index];
      if (r) this.onValue(r.key, dv.value.value as unknown, r.scale);
    });
    if (this.stopped) return void group.terminate().catch(() => undefined);
    this.subscription = group;
    if (this.connection.link === 'connected') this.setLink('connected');
  }

  private onValue(key: ReadKey, value: unknown, scale: number): void {
    // a value arriving says the cabinet answers again (after an exchange that timed out)
    if (this.link === 'unreachable' && this.connection.link === 'connected') this.setLink('connected');
    if (typeof value === 'boolean') this.values[key] = value;
    else if (typeof value === 'number' && Number.isFinite(value)) this.values[key] = value * scale;
    else return;
    // Changes of one publish arrive together: one state for them.
    if (this.emitQueued) return;
    this.emitQueued = true;
    setImmediate(() => {
      this.emitQueued = false;
      this.emit();
    });
  }

  private emit(): void {
    const v = this.values;
    if (typeof v.level !== 'number' || v.on === undefined) return;
    const num = (x: number | boolean | undefined) => (typeof x === 'number' ? Math.max(0, x) : undefined);
    const level = Math.min(100, Math.max(0, Math.round(v.level * 100) / 100));
    const state: LightingStatePayload = {
      ts: new Date((this.o.now ?? Date.now)()).toISOString(), level, on: Boolean(v.on),
      ...(num(v.powerW) !== undefined ? { powerW: num(v.powerW)! } : {}),
      ...(num(v.voltageV) !== undefined ? { voltageV: num(v.voltageV)! } : {}),
      ...(num(v.currentA) !== undefined ? { currentA: num(v.currentA)! } : {}),
      ...(num(v.energyKWh) !== undefined ? { energyKWh: num(v.energyKWh)! } : {}),
      ...(v.doorOpen !== undefined ? { doorOpen: Boolean(v.doorOpen) } : {}),
    };
    this.o.onState(state);
  }

  private async dataTypeOf(nodeId: string): Promise<DataType> {
    const known = this.dataTypes.get(nodeId);
    if (known !== undefined) return known;
    const { AttributeIds } = await loadOpcua();
    const dv = await this.exchange(`reading the data type of ${nodeId}`, this.session().read({ nodeId, attributeId: AttributeIds.DataType }));
    const typeId = dv.value.value as NodeId;
    // Built-in types are ns=0;i=1…25, numbered as DataType.
    const dt = typeId && typeId.namespace === 0 && typeof typeId.value === 'number' && typeId.value <= 25 ? (typeId.value as DataType) : (BUILT_IN.Double as DataType);
    this.dataTypes.set(nodeId, dt);
    return dt;
  }

  /**
   * Writes the level (and the relay, when the model has one) and reads the setpoint back.
   * Resolves with the level read back in hub units; rejects naming the node when the server
   * refuses or the value read back differs.
   */
  private session() {
    const session = this.connection.session;
    if (!session || !this.subscription) throw new Error(`${this.o.controllerId} is not connected`);
    return session;
  }

  async setLevel(level: number): Promise<number> {
    const session = this.session();
    const { AttributeIds, Variant } = await loadOpcua();
    const { nodeId, scale } = nodeOf(this.o.model.write.level);
    const dt = await this.dataTypeOf(nodeId);
    const value = toNodeValue(level, scale, dt);
    const writes = [{ nodeId, attributeId: AttributeIds.Value, value: { value: new Variant({ dataType: dt, value }) } }];
    if (this.o.model.write.on) {
      const on = nodeOf(this.o.model.write.on);
      const onType = await this.dataTypeOf(on.nodeId);
      writes.push({ nodeId: on.nodeId, attributeId: AttributeIds.Value, value: { value: new Variant({ dataType: onType, value: toNodeValue(level > 0, on.scale, onType) }) } });
    }
    const codes = await this.exchange(`writing ${nodeId}`, session.write(writes));
    codes.forEach((c, i) => {
      if (!c.isGood()) throw new Error(`writing ${writes[i]!.nodeId}: ${c.name}`);
    });
    const back = await this.exchange(`reading ${nodeId} back`, session.read({ nodeId, attributeId: AttributeIds.Value }));
    const read = Number(back.value.value);
    if (read !== value) throw new Error(`${nodeId} reads back ${read}, ${String(value)} was written`);
    if (this.link === 'unreachable') this.setLink('connected');
    return read * scale;
  }

  /** Connects again after a certificate was trusted (a cabinet connected or connecting is left alone). */
  async retry(): Promise<void> {
    if (this.stopped || this.link !== 'certificate-untrusted') return;
    this.setLink('connecting', 'connecting again');
    await this.connection.retry();
    await this.start();
  }

  /** Ends its subscription and leaves its server's connection (the last cabinet out closes it), each under the exchange deadline. */
  async stop(): Promise<void> {
    this.stopped = true;
    const subscription = this.subscription;
    this.subscription = undefined;
    const ending = subscription ? withDeadline(subscription.terminate(), this.timeouts.exchangeMs, `${this.o.controllerId}: ending its monitored items`).catch(() => undefined) : Promise.resolve();
    await this.connections.release(this, this.connection, ending);
  }
}
