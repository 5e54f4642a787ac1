/**
 * One OPC UA cabinet seen through its controller model: connected in the model's security mode
 * (None, or SignAndEncrypt with Basic256Sha256, the hub's own certificate and a server
 * certificate an admin trusted: an untrusted one leaves the cabinet `certificate-untrusted`
 * until `retry()` after the trust), its read nodes subscribed and each change turned into a lighting state (hub units: value ×
 * scale), setpoints written in the data type the server declares for the node (integer types
 * get the rounded value) and confirmed by reading them back. node-opcua reconnects with
 * backoff and restores the session and its subscription by itself; the status says whether the
 * cabinet is reachable.
 */
import {
  AttributeIds, DataType, MessageSecurityMode, OPCUAClient, SecurityPolicy, TimestampsToReturn,
  Variant, type ClientSession, type ClientSubscription, type DataValue, type NodeId, type OPCUACertificateManager,
} from 'node-opcua';
import type { LightingStatePayload, OpcuaLink, OpcuaModel } from '../../contracts/index.ts';
import { nodeOf } from './models.ts';
import { HUB_APPLICATION_NAME, thumbprintOf, type OpcuaTrustStore } from './trust-store.ts';

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
}

export interface OpcuaTimeouts {
  exchangeMs: number;
  connectMs: number;
}

export const DEFAULT_OPCUA_TIMEOUTS: OpcuaTimeouts = { exchangeMs: 10_000, connectMs: 60_000 };

/** A cabinet did not answer in time: it is shown unreachable and the command waits (it is not the cabinet's refusal). */
export class OpcuaTimeoutError extends Error {
  override readonly name = 'OpcuaTimeoutError';
}

/** `work`, or an OpcuaTimeoutError when it has not settled within `ms` (the work itself is left to end on its own). */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new OpcuaTimeoutError(`no answer within ${ms} ms (${what})`)), ms);
  });
  work.catch(() => undefined); // a late failure of abandoned work is not unhandled
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

const INTEGER_TYPES = new Set([DataType.SByte, DataType.Byte, DataType.Int16, DataType.UInt16, DataType.Int32, DataType.UInt32, DataType.Int64, DataType.UInt64]);

/** A hub value as the node wants it: divided by the scale, rounded for integer types. */
export function toNodeValue(hubValue: number | boolean, scale: number, dataType: DataType): number | boolean {
  if (dataType === DataType.Boolean) return typeof hubValue === 'boolean' ? hubValue : hubValue !== 0;
  const raw = typeof hubValue === 'boolean' ? (hubValue ? 1 : 0) : hubValue / scale;
  return INTEGER_TYPES.has(dataType) ? Math.round(raw) : raw;
}

type ReadKey = keyof OpcuaModel['read'];

export class OpcuaCabinet {
  private client: OPCUAClient | undefined;
  private session: ClientSession | undefined;
  private subscription: ClientSubscription | undefined;
  private readonly values: Partial<Record<ReadKey, number | boolean>> = {};
  private readonly dataTypes = new Map<string, DataType>();
  private emitQueued = false;
  private stopped = false;
  private attempt = 0;
  link: CabinetLink = 'connecting';
  /** the certificate the server presented last (secure mode), DER */
  presentedCertificate: Buffer | undefined;
  /** the thumbprint of the server certificate the hub refused for want of trust */
  untrustedCertificate: string | null = null;

  private readonly timeouts: OpcuaTimeouts;

  constructor(private readonly o: OpcuaCabinetOptions) {
    this.timeouts = { ...DEFAULT_OPCUA_TIMEOUTS, ...o.timeouts };
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

  private setLink(link: CabinetLink, detail?: string): void {
    if (this.link === link) return;
    this.link = link;
    this.o.onLink?.(link, detail);
  }

  get securityMode(): NonNullable<OpcuaModel['securityMode']> {
    return this.o.model.securityMode ?? 'None';
  }

  /**
   * The store's certificate manager, seen by this cabinet's client: the server certificate it
   * is asked to check is remembered, so an untrusted one can be named (and trusted) by thumbprint.
   */
  private watchingManager(): OPCUACertificateManager {
    const manager = this.o.trust.manager;
    return new Proxy(manager, {
      get: (target, prop) => {
        if (prop === 'checkCertificate') {
          return (certificate: Buffer) => {
            this.presentedCertificate = Buffer.from(certificate);
            this.o.trust.presented(this.o.controllerId, thumbprintOf(this.presentedCertificate));
            // the store's queue, not node-opcua's own check (whose late move into rejected/ could undo a trust)
            return this.o.trust.check(this.presentedCertificate);
          };
        }
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  /**
   * Connects and subscribes; resolves once subscribed (node-opcua keeps retrying an unreachable
   * server until it can), or at once with the link `certificate-untrusted` when the server's
   * certificate is not trusted (it is then in the store's rejected folder, pending).
   */
  async start(): Promise<void> {
    await this.o.trust.ownCertificate();
    const attempt = ++this.attempt;
    try {
      await withDeadline(this.connect(attempt), this.timeouts.connectMs, `${this.o.controllerId}: connecting to ${this.o.endpointUrl}`);
    } catch (err) {
      if (err instanceof OpcuaTimeoutError && this.attempt === attempt) {
        // given up: this attempt's client goes (the fleet starts the cabinet afresh after its backoff)
        this.attempt++;
        const client = this.client;
        this.client = undefined;
        this.session = undefined;
        this.subscription = undefined;
        void client?.disconnect().catch(() => undefined);
        if (!this.stopped) this.setLink('unreachable', err.message);
      }
      throw err;
    }
  }

  private async connect(attempt: number): Promise<void> {
    const secure = this.securityMode === 'SignAndEncrypt';
    const client = OPCUAClient.create({
      applicationName: HUB_APPLICATION_NAME, endpointMustExist: false, keepSessionAlive: true,
      securityMode: secure ? MessageSecurityMode.SignAndEncrypt : MessageSecurityMode.None,
      securityPolicy: secure ? SecurityPolicy.Basic256Sha256 : SecurityPolicy.None,
      clientCertificateManager: this.watchingManager(),
      connectionStrategy: { initialDelay: this.o.backoff?.initialMs ?? 1_000, maxDelay: this.o.backoff?.maxMs ?? 30_000, maxRetry: Number.MAX_SAFE_INTEGER },
    });
    this.client = client;
    const current = () => this.attempt === attempt && !this.stopped;
    client.on('backoff', (retry: number, delay: number) => current() && this.setLink('unreachable', `retry ${retry} in ${delay} ms`));
    client.on('connection_lost', () => current() && this.setLink('unreachable', 'connection lost'));
    client.on('connection_reestablished', () => current() && this.setLink('connected'));
    client.on('after_reconnection', () => current() && this.setLink('connected'));
    try {
      await client.connect(this.o.endpointUrl);
    } catch (err) {
      if (!/BadCertificateUntrusted/.test((err as Error).message) || !this.presentedCertificate) throw err;
      const thumbprint = thumbprintOf(this.presentedCertificate);
      this.untrustedCertificate = thumbprint;
      this.client = undefined;
      await client.disconnect().catch(() => undefined);
      this.setLink('certificate-untrusted', `the server's certificate ${thumbprint} is not trusted: an admin trusts it with POST /api/v1/lighting/opcua/certificates/${thumbprint}/trust`);
      return;
    }
    if (!current()) return;
    this.untrustedCertificate = null;
    const session = await client.createSession();
    if (!current()) return void session.close().catch(() => undefined);
    this.session = session;
    this.subscription = await this.session.createSubscription2({
      requestedPublishingInterval: 200, requestedLifetimeCount: 600, requestedMaxKeepAliveCount: 20, maxNotificationsPerPublish: 100, publishingEnabled: true, priority: 10,
    });
    for (const [key, ref] of Object.entries(this.o.model.read) as [ReadKey, OpcuaModel['read'][ReadKey]][]) {
      if (!ref) continue;
      const { nodeId, scale } = nodeOf(ref);
      const item = await this.subscription.monitor({ nodeId, attributeId: AttributeIds.Value }, { samplingInterval: 100, discardOldest: true, queueSize: 1 }, TimestampsToReturn.Both);
      item.on('changed', (dv: DataValue) => this.onValue(key, dv.value.value as unknown, scale));
    }
    if (current()) this.setLink('connected');
  }

  private onValue(key: ReadKey, value: unknown, scale: number): void {
    // a value arriving says the cabinet answers again (after an exchange that timed out)
    if (this.link === 'unreachable' && this.session) this.setLink('connected');
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
    const dv = await this.exchange(`reading the data type of ${nodeId}`, this.session!.read({ nodeId, attributeId: AttributeIds.DataType }));
    const typeId = dv.value.value as NodeId;
    // Built-in types are ns=0;i=1…25, numbered as DataType.
    const dt = typeId && typeId.namespace === 0 && typeof typeId.value === 'number' && typeId.value <= 25 ? (typeId.value as DataType) : DataType.Double;
    this.dataTypes.set(nodeId, dt);
    return dt;
  }

  /**
   * Writes the level (and the relay, when the model has one) and reads the setpoint back.
   * Resolves with the level read back in hub units; rejects naming the node when the server
   * refuses or the value read back differs.
   */
  async setLevel(level: number): Promise<number> {
    if (!this.session) throw new Error(`${this.o.controllerId} is not connected`);
    const { nodeId, scale } = nodeOf(this.o.model.write.level);
    const dt = await this.dataTypeOf(nodeId);
    const value = toNodeValue(level, scale, dt);
    const writes = [{ nodeId, attributeId: AttributeIds.Value, value: { value: new Variant({ dataType: dt, value }) } }];
    if (this.o.model.write.on) {
      const on = nodeOf(this.o.model.write.on);
      const onType = await this.dataTypeOf(on.nodeId);
      writes.push({ nodeId: on.nodeId, attributeId: AttributeIds.Value, value: { value: new Variant({ dataType: onType, value: toNodeValue(level > 0, on.scale, onType) }) } });
    }
    const codes = await this.exchange(`writing ${nodeId}`, this.session.write(writes));
    codes.forEach((c, i) => {
      if (!c.isGood()) throw new Error(`writing ${writes[i]!.nodeId}: ${c.name}`);
    });
    const back = await this.exchange(`reading ${nodeId} back`, this.session.read({ nodeId, attributeId: AttributeIds.Value }));
    const read = Number(back.value.value);
    if (read !== value) throw new Error(`${nodeId} reads back ${read}, ${String(value)} was written`);
    if (this.link === 'unreachable') this.setLink('connected');
    return read * scale;
  }

  /** Connects again after a certificate was trusted (a cabinet connected or connecting is left alone). */
  async retry(): Promise<void> {
    if (this.stopped || this.link !== 'certificate-untrusted') return;
    this.setLink('connecting', 'connecting again');
    await this.start();
  }

  /** Closes the subscription, the session and the connection, each under the exchange deadline (a silent server does not hold it up). */
  async stop(): Promise<void> {
    this.stopped = true;
    const step = async (what: string, work: Promise<unknown> | undefined) => {
      if (work) await withDeadline(work, this.timeouts.exchangeMs, `${this.o.controllerId}: ${what}`).catch(() => undefined);
    };
    await step('ending the subscription', this.subscription?.terminate());
    await step('closing the session', this.session?.close());
    await step('disconnecting', this.client?.disconnect());
  }
}
