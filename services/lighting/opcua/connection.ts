/**
 * One OPC UA client connection and session to one server (endpoint URL and security mode),
 * shared by every cabinet that server holds: a real controller is one server per cabinet (one
 * connection each, as before), the simulator and multi-cabinet gateways hold many cabinets
 * behind one endpoint, where a connection and a session per cabinet cost the server a socket,
 * a secure channel and a session each (node-opcua's server takes 10 connections per endpoint by
 * default) and the hub a handshake each. The cabinets share one subscription too (a server
 * takes 10 per session by default), each with its own monitored items. node-opcua reconnects
 * with backoff and restores the session and its subscription.
 */
import type { ClientSession, ClientSubscription, OPCUACertificateManager, OPCUAClient } from 'node-opcua';
import { loadOpcua } from './sdk.ts';
import type { OpcuaLink, OpcuaModel } from '../../contracts/index.ts';
import { HUB_APPLICATION_NAME, thumbprintOf, type OpcuaTrustStore } from './trust-store.ts';

export type SecurityMode = NonNullable<OpcuaModel['securityMode']>;

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

export interface ConnectionSettings {
  trust: OpcuaTrustStore;
  backoff?: { initialMs: number; maxMs: number } | undefined;
  timeouts: OpcuaTimeouts;
}

/** What a connection tells the cabinets on it. */
export interface ConnectionUser {
  readonly controllerId: string;
  connectionLink(link: OpcuaLink, detail?: string): void;
}

export class OpcuaConnection {
  private client: OPCUAClient | undefined;
  session: ClientSession | undefined;
  private opening: Promise<void> | undefined;
  private subscribing: Promise<ClientSubscription> | undefined;
  private attempt = 0;
  private closed = false;
  /** gave up (a missed connect deadline, a refused session): not handed to new cabinets */
  failed = false;
  link: OpcuaLink = 'connecting';
  detail: string | undefined;
  readonly users = new Set<ConnectionUser>();
  /** the certificate the server presented last (secure mode), DER */
  presentedCertificate: Buffer | undefined;
  /** the thumbprint of the server certificate the hub refused for want of trust */
  untrustedCertificate: string | null = null;

  constructor(readonly endpointUrl: string, readonly securityMode: SecurityMode, private readonly s: ConnectionSettings) {}

  private setLink(link: OpcuaLink, detail?: string): void {
    if (this.link === link && this.detail === detail) return;
    this.link = link;
    this.detail = detail;
    for (const u of this.users) u.connectionLink(link, detail);
  }

  /**
   * The store's certificate manager, seen by this connection's client: the server certificate
   * it is asked to check is remembered (named, and trusted, by thumbprint) and checked through
   * the store's queue, not node-opcua's own check (whose late move into rejected/ could undo a trust).
   */
  private watchingManager(): OPCUACertificateManager {
    const manager = this.s.trust.manager;
    return new Proxy(manager, {
      get: (target, prop) => {
        if (prop === 'checkCertificate') {
          return (certificate: Buffer) => {
            this.presentedCertificate = Buffer.from(certificate);
            for (const u of this.users) this.s.trust.presented(u.controllerId, thumbprintOf(this.presentedCertificate));
            return this.s.trust.check(this.presentedCertificate);
          };
        }
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  /**
   * Connected with a session, or refused for the server's certificate (`link` says which);
   * one attempt shared by every cabinet asking meanwhile. Rejects when the attempt failed
   * (its connect deadline missed, a session refused): the connection is then `failed`.
   */
  open(): Promise<void> {
    this.opening ??= this.connect().catch((err: Error) => {
      this.failed = true;
      if (!this.closed) this.setLink('unreachable', err.message);
      throw err;
    });
    return this.opening;
  }

  /** Connects again after the server's certificate was trusted (shared, like `open`). */
  retry(): Promise<void> {
    if (this.link === 'certificate-untrusted' && !this.closed) {
      this.setLink('connecting', 'connecting again');
      this.opening = undefined;
    }
    return this.open();
  }

  private async connect(): Promise<void> {
    await this.s.trust.ownCertificate();
    const attempt = ++this.attempt;
    try {
      await withDeadline(this.connectOnce(attempt), this.s.timeouts.connectMs, `connecting to ${this.endpointUrl}`);
    } catch (err) {
      if (err instanceof OpcuaTimeoutError && this.attempt === attempt) {
        this.attempt++;
        const client = this.client;
        this.client = undefined;
        this.session = undefined;
        void client?.disconnect().catch(() => undefined);
      }
      throw err;
    }
  }

  private async connectOnce(attempt: number): Promise<void> {
    const { MessageSecurityMode, OPCUAClient, SecurityPolicy } = await loadOpcua();
    const secure = this.securityMode === 'SignAndEncrypt';
    const client = OPCUAClient.create({
      applicationName: HUB_APPLICATION_NAME, endpointMustExist: false, keepSessionAlive: true,
      securityMode: secure ? MessageSecurityMode.SignAndEncrypt : MessageSecurityMode.None,
      securityPolicy: secure ? SecurityPolicy.Basic256Sha256 : SecurityPolicy.None,
      clientCertificateManager: this.watchingManager(),
      connectionStrategy: { initialDelay: this.s.backoff?.initialMs ?? 1_000, maxDelay: this.s.backoff?.maxMs ?? 30_000, maxRetry: Number.MAX_SAFE_INTEGER },
    });
    this.client = client;
    const current = () => this.attempt === attempt && !this.closed;
    client.on('backoff', (retry: number, delay: number) => current() && this.setLink('unreachable', `retry ${retry} in ${delay} ms`));
    client.on('connection_lost', () => current() && this.setLink('unreachable', 'connection lost'));
    client.on('connection_reestablished', () => current() && this.setLink('connected'));
    client.on('after_reconnection', () => current() && this.setLink('connected'));
    try {
      await client.connect(this.endpointUrl);
    } catch (err) {
      if (!/BadCertificateUntrusted/.test((err as Error).message) || !this.presentedCertificate) throw err;
      const thumbprint = thumbprintOf(this.presentedCertificate);
      this.untrustedCertificate = thumbprint;
      this.client = undefined;
      await withDeadline(client.disconnect(), this.s.timeouts.exchangeMs, 'disconnecting').catch(() => undefined);
      if (current()) this.setLink('certificate-untrusted', `the server's certificate ${thumbprint} is not trusted: an admin trusts it with POST /api/v1/lighting/opcua/certificates/${thumbprint}/trust`);
      return;
    }
    if (!current()) return;
    this.untrustedCertificate = null;
    const session = await client.createSession();
    if (!current()) return void session.close().catch(() => undefined);
    this.session = session;
    this.setLink('connected');
  }

  /** The subscription the cabinets' monitored items are in (made once per session). */
  subscription(): Promise<ClientSubscription> {
    const session = this.session;
    if (!session) return Promise.reject(new Error(`no session on ${this.endpointUrl}`));
    this.subscribing ??= session.createSubscription2({
      requestedPublishingInterval: 200, requestedLifetimeCount: 600, requestedMaxKeepAliveCount: 20, maxNotificationsPerPublish: 1000, publishingEnabled: true, priority: 10,
    });
    this.subscribing.catch(() => (this.subscribing = undefined));
    return this.subscribing;
  }

  /** Closes the session and the connection, each under the exchange deadline (a silent server does not hold it up). */
  async close(): Promise<void> {
    this.closed = true;
    const step = async (what: string, work: Promise<unknown> | undefined) => {
      if (work) await withDeadline(work, this.s.timeouts.exchangeMs, `${this.endpointUrl}: ${what}`).catch(() => undefined);
    };
    const subscription = this.subscribing?.catch(() => undefined);
    await step('ending the subscription', subscription?.then((x) => x?.terminate()));
    await step('closing the session', this.session?.close());
    await step('disconnecting', this.client?.disconnect());
  }
}

/** The connections of a fleet, one per endpoint URL and security mode, shared by the cabinets behind it. */
export class OpcuaConnections {
  private readonly open = new Map<string, OpcuaConnection>();

  constructor(private readonly s: ConnectionSettings) {}

  /** The connection for this endpoint (a new one when there is none, or the one there gave up). */
  acquire(user: ConnectionUser, endpointUrl: string, securityMode: SecurityMode): OpcuaConnection {
    const key = `${securityMode} ${endpointUrl}`;
    let c = this.open.get(key);
    if (!c || c.failed) {
      c = new OpcuaConnection(endpointUrl, securityMode, this.s);
      this.open.set(key, c);
    }
    c.users.add(user);
    return c;
  }

  /**
   * A cabinet leaves its connection (at once: a cabinet started next gets a fresh one); the last
   * one out closes it once `before` (the cabinet's own goodbye) has ended.
   */
  release(user: ConnectionUser, c: OpcuaConnection, before: Promise<unknown>): Promise<void> {
    c.users.delete(user);
    if (c.users.size > 0) return before.then(() => undefined);
    const key = `${c.securityMode} ${c.endpointUrl}`;
    if (this.open.get(key) === c) this.open.delete(key);
    return before.then(() => c.close());
  }

  get size(): number {
    return this.open.size;
  }
}
