import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry as AuditEntrySchema, ControllerState, Health, LightingCommandRecord, LightingOverride, OpcuaCabinetStatus, OpcuaHubCertificate, OpcuaServerCertificate } from '../../services/contracts/index.ts';
import { lightingDomainWith } from '../../services/lighting/module.ts';
import { describeCertificate } from '../../services/lighting/opcua/trust-store.ts';
import { simModel, startCabinetServer, type CabinetServer } from '../../simulators/lighting/opcua-cabinets.ts';
import type { z } from 'zod';
import { launchBrowser } from '../support/browser.ts';
import { ADMIN_TOKEN, eventually, startTestHub, type TestHub } from '../support/hub.ts';
import { makeTempDir } from '../support/temp-dir.ts';

type AuditEntry = z.infer<typeof AuditEntrySchema>;
const lighting = () => [lightingDomainWith({ tickMs: 200, opcuaBackoff: { initialMs: 200, maxMs: 1_000 } })];
const secureModel = (id: string) => ({ ...simModel(id), securityMode: 'SignAndEncrypt' as const });

async function cabinetStatus(t: TestHub, id: string): Promise<OpcuaCabinetStatus | undefined> {
  return ((await (await t.api('/api/v1/lighting/opcua')).json()) as OpcuaCabinetStatus[]).find((c) => c.controllerId === id);
}

/**
 * One real node-opcua server offering SignAndEncrypt (Basic256Sha256) only, and real hubs: a
 * server certificate nobody trusted is refused and shown; an admin's trust lets the cabinet in.
 */
describe('OPC UA cabinets over SignAndEncrypt', () => {
  const dir = makeTempDir('opcua-sec');
  let server: CabinetServer;

  beforeAll(async () => {
    server = await startCabinetServer({ port: 0, pkiDir: dir.path, secure: true, cabinets: [{ id: 'sec-1', ratedW: 2000 }, { id: 'sec-2', ratedW: 1000 }] });
  }, 120_000);
  afterAll(async () => {
    await server?.stop().catch(() => undefined);
    dir.remove();
  });

  it('refuses an untrusted server certificate and shows it; after the admin trusts it the cabinet connects, reports and obeys', async () => {
    const [t, browser] = await Promise.all([startTestHub({}, { domains: lighting(), dashboards: true }), launchBrowser()]);
    try {
      expect((await t.api('/api/v1/lighting/models/sec-1', { method: 'PUT', json: secureModel('sec-1') })).status).toBe(200);
      const badMode = await t.api('/api/v1/lighting/models/x', { method: 'PUT', json: { ...simModel('x'), securityMode: 'Sign' } });
      expect(badMode.status).toBe(400);
      expect(JSON.stringify(await badMode.json())).toContain('securityMode');
      await t.register({ id: 'sec-1', kind: 'lighting-controller', protocol: 'opcua', endpointUrl: server.endpointUrl, model: 'sec-1' });

      // Refused: the certificate is pending in the store's rejected folder, the cabinet shown as such.
      const refused = await eventually(async () => {
        const s = await cabinetStatus(t, 'sec-1');
        return s?.link === 'certificate-untrusted' && s;
      }, 60_000, 'the cabinet shown certificate-untrusted');
      expect(refused).toMatchObject({ securityMode: 'SignAndEncrypt', untrustedCertificate: expect.stringMatching(/^[0-9a-f]{40}$/) });
      expect(refused.detail).toContain(`/api/v1/lighting/opcua/certificates/${refused.untrustedCertificate}/trust`);
      const rejectedDir = join(t.dataDir, 'pki', 'opcua-client', 'rejected');
      expect(readdirSync(rejectedDir).map((f) => f.toLowerCase()).some((f) => f.includes(refused.untrustedCertificate!))).toBe(true);
      const health = (await (await t.api('/api/v1/health', { token: null })).json()) as Health;
      expect(health.components['lighting-opcua']).toMatchObject({ status: 'degraded', detail: expect.stringContaining('1 certificate-untrusted') });
      expect(((await (await t.api('/api/v1/lighting/controllers')).json()) as ControllerState[]).some((c) => c.controllerId === 'sec-1')).toBe(false);
      // …and on the lighting page, in Ukrainian by default.
      const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: 'uk-UA' });
      await context.addInitScript((tok) => sessionStorage.setItem('mistohub.token', tok), ADMIN_TOKEN);
      const page = await context.newPage();
      await page.goto(`${t.httpUrl}/lighting/`);
      const banner = await page.waitForSelector('#opcua-banner:not([hidden])', { timeout: 20_000 });
      expect(await banner.textContent()).toMatch(/сертифікат сервера не довірений.*sec-1/);
      await context.close();

      // The admin lists what is pending: thumbprint, subject, validity, who presented it.
      const pending = (await (await t.api('/api/v1/lighting/opcua/certificates?status=pending')).json()) as OpcuaServerCertificate[];
      expect(pending).toHaveLength(1);
      const cert = pending[0]!;
      expect(cert).toMatchObject({ thumbprint: refused.untrustedCertificate, status: 'pending', controllerIds: ['sec-1'] });
      expect(cert.subject).toMatch(/CN=/);
      expect(Date.parse(cert.notBefore)).toBeLessThan(Date.now());
      expect(Date.parse(cert.notAfter)).toBeGreaterThan(Date.now());
      expect(cert.subjectAltName).toMatch(/URI:urn:/);

      // Only an admin: a lighting operator may not trust, a bad thumbprint is named, an unknown one is 404.
      const created = (await (await t.api('/api/v1/tokens', { method: 'POST', json: { name: 'operator', roles: ['lighting'] } })).json()) as { token: string };
      expect((await t.api('/api/v1/lighting/opcua/certificates', { token: created.token })).status).toBe(403);
      expect((await t.api(`/api/v1/lighting/opcua/certificates/${cert.thumbprint}/trust`, { method: 'POST', token: created.token })).status).toBe(403);
      const bad = await t.api('/api/v1/lighting/opcua/certificates/xyz/trust', { method: 'POST' });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { issues: { field: string }[] }).issues[0]!.field).toBe('thumbprint');
      expect((await t.api(`/api/v1/lighting/opcua/certificates/${'0'.repeat(40)}/trust`, { method: 'POST' })).status).toBe(404);
      // Nothing connects before the trust.
      expect((await cabinetStatus(t, 'sec-1'))?.link).toBe('certificate-untrusted');

      const trusted = await t.api(`/api/v1/lighting/opcua/certificates/${cert.thumbprint.toUpperCase()}/trust`, { method: 'POST' });
      expect(trusted.status).toBe(200);
      expect(await trusted.json()).toMatchObject({ thumbprint: cert.thumbprint, status: 'trusted' });
      const audit = (await (await t.api('/api/v1/audit')).json()) as AuditEntry[];
      expect(audit.find((a) => a.action === 'lighting.opcua.certificate.trust')).toMatchObject({ target: cert.thumbprint, actor: expect.any(String) });

      // The hub connects by itself; the variables arrive as lighting state.
      await eventually(async () => (await cabinetStatus(t, 'sec-1'))?.link === 'connected', 60_000, 'connected after the trust');
      expect(await cabinetStatus(t, 'sec-1')).toMatchObject({ untrustedCertificate: null });
      const live = await eventually(async () => ((await (await t.api('/api/v1/lighting/controllers')).json()) as ControllerState[]).find((c) => c.controllerId === 'sec-1' && c.voltageV !== null), 20_000, 'sec-1 live');
      expect(live).toMatchObject({ level: 0, on: false, voltageV: 230 });
      expect((await (await t.api('/api/v1/lighting/opcua/certificates')).json()) as OpcuaServerCertificate[]).toEqual([{ ...cert, status: 'trusted' }]);

      // A command written over the encrypted channel and read back.
      const o = (await (await t.api('/api/v1/lighting/overrides', { method: 'POST', json: { controllerId: 'sec-1', level: 42, expiresAt: new Date(Date.now() + 600_000).toISOString() } })).json()) as LightingOverride;
      const cmd = await eventually(async () => ((await (await t.api('/api/v1/lighting/commands?controllerId=sec-1')).json()) as LightingCommandRecord[]).find((c) => c.source === `override:${o.id}` && c.state === 'acknowledged'), 20_000, 'the override acknowledged');
      expect(cmd.detail).toBe('read back 42');
      expect(server.cabinets.get('sec-1')!.setpoint).toBe(420);
      await eventually(async () => ((await (await t.api('/api/v1/lighting/controllers')).json()) as ControllerState[]).find((c) => c.controllerId === 'sec-1' && c.level === 42 && c.on), 20_000, 'the reported level follows');

      // The hub signed in with its own certificate: the one it shows is the one the server met.
      const own = (await (await t.api('/api/v1/lighting/opcua/hub-certificate')).json()) as OpcuaHubCertificate;
      expect(describeCertificate(own.pem).thumbprint).toBe(own.thumbprint);
      const serverMet = readdirSync(join(dir.path, 'server-pki', 'trusted', 'certs'));
      expect(serverMet.some((f) => f.toLowerCase().includes(own.thumbprint))).toBe(true);
      expect(health.components['lighting-opcua']).toBeDefined();
      await eventually(async () => ((await (await t.api('/api/v1/health', { token: null })).json()) as Health).components['lighting-opcua']?.status === 'ok', 10_000, 'health ok');

      // Trust taken back: the cabinet is refused again.
      expect((await t.api(`/api/v1/lighting/opcua/certificates/${cert.thumbprint}/untrust`, { method: 'POST' })).status).toBe(200);
      await eventually(async () => (await cabinetStatus(t, 'sec-1'))?.link === 'certificate-untrusted', 60_000, 'refused again after untrust');
    } finally {
      await browser.close();
      await t.stop();
    }
  }, 180_000);

  it('OPCUA_AUTO_TRUST (the demo) trusts the certificate itself, in the audit log', async () => {
    const t = await startTestHub({ OPCUA_AUTO_TRUST: 'true' }, { domains: lighting() });
    try {
      expect((await t.api('/api/v1/lighting/models/sec-2', { method: 'PUT', json: secureModel('sec-2') })).status).toBe(200);
      await t.register({ id: 'sec-2', kind: 'lighting-controller', protocol: 'opcua', endpointUrl: server.endpointUrl, model: 'sec-2' });
      await eventually(async () => (await cabinetStatus(t, 'sec-2'))?.link === 'connected', 60_000, 'connected with automatic trust');
      await eventually(async () => ((await (await t.api('/api/v1/lighting/controllers')).json()) as ControllerState[]).find((c) => c.controllerId === 'sec-2'), 20_000, 'sec-2 live');
      const audit = (await (await t.api('/api/v1/audit')).json()) as AuditEntry[];
      const entry = audit.find((a) => a.action === 'lighting.opcua.certificate.trust');
      expect(entry).toMatchObject({ actor: 'OPCUA_AUTO_TRUST' });
      expect(entry!.detail).toContain('sec-2');
      expect(((await (await t.api('/api/v1/lighting/opcua/certificates')).json()) as OpcuaServerCertificate[]).map((c) => c.status)).toEqual(['trusted']);
    } finally {
      await t.stop();
    }
  }, 120_000);
});
