/**
 * The hub's OPC UA certificate store (`HUB_DATA_DIR/pki/opcua-client`, node-opcua's
 * OPCUACertificateManager layout): the hub's own application certificate under `own/`, server
 * certificates an admin trusted under `trusted/certs/`, and those the hub met and does not trust
 * under `rejected/` — the pending ones an admin lists and trusts over REST. One store serves
 * every cabinet client, so a trust takes effect for all of them at once.
 *
 * Every verdict on a server certificate and every move between `rejected/` and `trusted/` goes
 * through one queue (`check`, `trust`, `untrust`, `trustPresented`). node-opcua's own
 * `checkCertificate` decides first and moves the certificate into `rejected/` afterwards, under
 * the store's lock: a trust made between the two (several cabinets of one server refused at
 * once, the first refusal trusted by OPCUA_AUTO_TRUST or an admin) was undone by the late move,
 * and the cabinets were refused for good. In the queue a verdict and its move are one step.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { OPCUACertificateManager, StatusCode } from 'node-opcua';
import { loadOpcua } from './sdk.ts';
import type { OpcuaHubCertificate, OpcuaServerCertificate } from '../../contracts/index.ts';

/** The application name the hub's OPC UA client goes by (and its certificate is made for). */
export const HUB_APPLICATION_NAME = 'mistohub';

export interface CertificateInfo {
  thumbprint: string;
  subject: string;
  issuer: string;
  subjectAltName: string | null;
  notBefore: string;
  notAfter: string;
  der: Buffer;
}

/** SHA-1 of a certificate's DER, lower-case hex: OPC UA's thumbprint. */
export const thumbprintOf = (der: Buffer): string => createHash('sha1').update(der).digest('hex');

/** What a certificate (DER, or PEM whose first certificate is read) says about itself. Pure. */
export function describeCertificate(cert: Buffer | string): CertificateInfo {
  const x = new X509Certificate(cert);
  const oneLine = (dn: string) => dn.split('\n').filter(Boolean).join(', ');
  return {
    thumbprint: thumbprintOf(x.raw),
    subject: oneLine(x.subject),
    issuer: oneLine(x.issuer),
    subjectAltName: x.subjectAltName ?? null,
    notBefore: new Date(x.validFrom).toISOString(),
    notAfter: new Date(x.validTo).toISOString(),
    der: x.raw,
  };
}

export class OpcuaTrustStore {
  private made: OPCUACertificateManager | undefined;
  private ready: Promise<void> | undefined;
  /** the queue of verdicts and moves: each step starts when the one before has ended */
  private queue: Promise<unknown> = Promise.resolve();
  /** thumbprint → cabinets whose server presented it (since the hub started) */
  private readonly presentedBy = new Map<string, Set<string>>();

  constructor(readonly rootFolder: string) {}

  /** node-opcua's certificate manager of the store: there once `initialize()` has resolved. */
  get manager(): OPCUACertificateManager {
    if (!this.made) throw new Error('the OPC UA trust store was used before initialize()');
    return this.made;
  }

  /** Loads node-opcua (sdk.ts) and opens the store's folders, once. */
  initialize(): Promise<void> {
    this.ready ??= loadOpcua().then(({ OPCUACertificateManager }) => {
      // Unknown server certificates go to rejected/: never trusted blindly (OPCUA_AUTO_TRUST is the fleet's, and audited).
      this.made ??= new OPCUACertificateManager({ rootFolder: this.rootFolder, automaticallyAcceptUnknownCertificate: false });
      return this.made.initialize();
    });
    return this.ready;
  }

  private serial<T>(step: () => Promise<T>): Promise<T> {
    const run = this.queue.then(step, step);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * The verdict on a server certificate a cabinet's client is presented (the client's
   * `checkCertificate`): Good when trusted; an unknown one is put in `rejected/` (pending) and
   * refused — in one step of the queue, so no trust can slip between the verdict and the move.
   */
  async check(certificate: Buffer): Promise<StatusCode> {
    await this.initialize();
    const { StatusCodes } = await loadOpcua();
    return this.serial(async () => {
      const status = await this.manager.verifyCertificate(certificate, { acceptCertificateWithValidIssuerChain: true });
      if (status === 'BadCertificateUntrusted' || status === 'BadCertificateChainIncomplete') await this.manager.rejectCertificate(certificate);
      return StatusCodes[status as keyof typeof StatusCodes] as StatusCode;
    });
  }

  /** Whether the store trusts this certificate now. */
  async isTrusted(certificate: Buffer): Promise<boolean> {
    await this.initialize();
    return this.serial(async () => (await this.manager.verifyCertificate(certificate, { acceptCertificateWithValidIssuerChain: true })) === 'Good');
  }

  /** A cabinet's server presented this certificate. */
  presented(controllerId: string, thumbprint: string): void {
    for (const ids of this.presentedBy.values()) ids.delete(controllerId);
    const ids = this.presentedBy.get(thumbprint) ?? new Set<string>();
    ids.add(controllerId);
    this.presentedBy.set(thumbprint, ids);
  }

  private async folder(path: string, status: OpcuaServerCertificate['status']): Promise<(OpcuaServerCertificate & { der: Buffer })[]> {
    const names = existsSync(path) ? await readdir(path) : [];
    const out: (OpcuaServerCertificate & { der: Buffer })[] = [];
    for (const name of names.filter((n) => /\.(pem|der|crt)$/i.test(n)).sort()) {
      let info: CertificateInfo;
      try {
        info = describeCertificate(await readFile(join(path, name)));
      } catch {
        continue; // not a certificate (a half-written file, a stray key): not listed
      }
      out.push({ ...info, status, controllerIds: [...(this.presentedBy.get(info.thumbprint) ?? [])].sort() });
    }
    return out;
  }

  private async all(): Promise<(OpcuaServerCertificate & { der: Buffer })[]> {
    await this.initialize();
    return [...(await this.folder(this.manager.rejectedFolder, 'pending')), ...(await this.folder(this.manager.trustedFolder, 'trusted'))];
  }

  /** Pending (met, not trusted) and trusted server certificates. */
  async list(status?: OpcuaServerCertificate['status']): Promise<OpcuaServerCertificate[]> {
    return (await this.all()).filter((c) => !status || c.status === status).map(({ der: _der, ...c }) => c);
  }

  /** Trusts a certificate the store holds (pending or trusted already); undefined when it holds none with that thumbprint. */
  async trust(thumbprint: string): Promise<OpcuaServerCertificate | undefined> {
    return this.move(thumbprint, 'trusted');
  }

  /** Takes trust back: the certificate is pending again, and servers presenting it are refused. */
  async untrust(thumbprint: string): Promise<OpcuaServerCertificate | undefined> {
    return this.move(thumbprint, 'pending');
  }

  /** Trusts the certificate a server presented (OPCUA_AUTO_TRUST). */
  async trustPresented(der: Buffer): Promise<string> {
    await this.initialize();
    await this.serial(() => this.manager.trustCertificate(der));
    return thumbprintOf(der);
  }

  private async move(thumbprint: string, to: OpcuaServerCertificate['status']): Promise<OpcuaServerCertificate | undefined> {
    const cert = (await this.all()).find((c) => c.thumbprint === thumbprint.toLowerCase());
    if (!cert) return undefined;
    if (cert.status !== to) await this.serial(() => (to === 'trusted' ? this.manager.trustCertificate(cert.der) : this.manager.rejectCertificate(cert.der)));
    const { der: _der, ...rest } = cert;
    return { ...rest, status: to };
  }

  private own: Promise<string> | undefined;

  /**
   * Makes the hub's own application certificate once, when no client has made it yet (the
   * client's own way of making it, so its application URI is the one the client sends); its
   * path. A cabinet waits for this before its connect deadline starts: making the key pair can
   * take long on a loaded machine.
   */
  ownCertificate(): Promise<string> {
    this.own ??= (async () => {
      await this.initialize();
      const file = join(this.manager.rootDir, 'own', 'certs', 'client_certificate.pem');
      const { OPCUAClient } = await loadOpcua();
      if (!existsSync(file)) await OPCUAClient.create({ applicationName: HUB_APPLICATION_NAME, clientCertificateManager: this.manager }).createDefaultCertificate();
      return file;
    })();
    this.own.catch(() => (this.own = undefined));
    return this.own;
  }

  /** The hub's own application certificate (made now when no client has made it yet). */
  async hubCertificate(): Promise<OpcuaHubCertificate> {
    const file = await this.ownCertificate();
    const pem = await readFile(file, 'utf8');
    const { der: _der, issuer: _issuer, ...info } = describeCertificate(pem);
    return { ...info, pem };
  }

  async dispose(): Promise<void> {
    // Never opened: node-opcua was perhaps never loaded, and there is nothing to close.
    if (!this.ready) return;
    await this.ready.catch(() => undefined);
    await this.made?.dispose();
  }
}
