import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpcuaModel, type OpcuaCabinetStatus } from '../../services/contracts/index.ts';
import { lightingDomainWith } from '../../services/lighting/module.ts';
import { OpcuaCabinet, type CabinetLink } from '../../services/lighting/opcua/cabinet-client.ts';
import { OpcuaTrustStore } from '../../services/lighting/opcua/trust-store.ts';
import { simModel, startCabinetServer } from '../../simulators/lighting/opcua-cabinets.ts';
import { eventually, startTestHub, type TestHub } from '../support/hub.ts';
import { makeTempDir } from '../support/temp-dir.ts';

/**
 * Several SignAndEncrypt cabinets of one real node-opcua server, refused for its certificate,
 * connecting again all at the same moment once it is trusted: every one of them must come
 * online (the known bug: one could stay `connecting` for good). A few rounds, each with a
 * server of a new certificate, so the race is met more than once.
 */
describe('SignAndEncrypt cabinets of one server connecting again at once after a trust', () => {
  const dir = makeTempDir('opcua-race');
  const trust = new OpcuaTrustStore(`${dir.path}/hub-pki`);
  afterAll(async () => {
    await trust.dispose().catch(() => undefined);
    dir.remove();
  });

  it('all four cabinets reach connected, round after round', async () => {
    const ROUNDS = 3;
    const PER_SERVER = 4;
    for (let round = 1; round <= ROUNDS; round++) {
      const ids = Array.from({ length: PER_SERVER }, (_, i) => `race-${round}-${i + 1}`);
      const server = await startCabinetServer({ port: 0, pkiDir: `${dir.path}/server-${round}`, secure: true, cabinets: ids.map((id) => ({ id, ratedW: 1000 })) });
      const links = new Map<string, CabinetLink[]>();
      const cabinets = ids.map((id) => new OpcuaCabinet({
        controllerId: id, endpointUrl: server.endpointUrl, model: OpcuaModel.parse({ ...simModel(id), securityMode: 'SignAndEncrypt' }), trust,
        onState: () => undefined,
        onLink: (l) => links.set(id, [...(links.get(id) ?? []), l]),
        backoff: { initialMs: 200, maxMs: 1_000 },
      }));
      try {
        await Promise.all(cabinets.map((c) => c.start()));
        expect(cabinets.map((c) => c.link), `round ${round}: refused before the trust`).toEqual(ids.map(() => 'certificate-untrusted'));
        const thumbprint = cabinets[0]!.untrustedCertificate!;
        expect(cabinets.every((c) => c.untrustedCertificate === thumbprint)).toBe(true);
        expect(await trust.trust(thumbprint)).toMatchObject({ status: 'trusted' });
        // all at the same moment, as the fleet does after a trust
        void Promise.all(cabinets.map((c) => c.retry().catch(() => undefined)));
        await eventually(async () => cabinets.every((c) => c.link === 'connected'), 60_000,
          `round ${round}: every cabinet connected (links: ${JSON.stringify(Object.fromEntries(ids.map((id, i) => [id, cabinets[i]!.link])))})`).catch((err: Error) => {
          throw new Error(`${err.message}; now ${JSON.stringify(Object.fromEntries(ids.map((id, i) => [id, cabinets[i]!.link])))}`);
        });
        // and each one is really driven over its encrypted session
        for (const [i, c] of cabinets.entries()) expect(await c.setLevel(10 + i)).toBeCloseTo(10 + i, 9);
      } finally {
        await Promise.all(cabinets.map((c) => c.stop()));
        await server.stop().catch(() => undefined);
      }
    }
  }, 300_000);
});

/**
 * The same through a real hub with OPCUA_AUTO_TRUST (the demo's setting): the cabinets are
 * registered at once, each meets the unknown certificate, the first refusal trusts it, and all
 * of them must come online — a new server (a new certificate) each round.
 */
describe('SignAndEncrypt cabinets of one server on a hub with OPCUA_AUTO_TRUST', () => {
  const dir = makeTempDir('opcua-race-hub');
  let t: TestHub;
  beforeAll(async () => {
    t = await startTestHub({ OPCUA_AUTO_TRUST: 'true' }, { domains: [lightingDomainWith({ tickMs: 200, opcuaBackoff: { initialMs: 200, maxMs: 1_000 } })] });
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
    dir.remove();
  });

  it('all four cabinets of each new server reach connected, round after round', async () => {
    const ROUNDS = 3;
    const PER_SERVER = 4;
    for (let round = 1; round <= ROUNDS; round++) {
      const ids = Array.from({ length: PER_SERVER }, (_, i) => `hub-race-${round}-${i + 1}`);
      const server = await startCabinetServer({ port: 0, pkiDir: `${dir.path}/server-${round}`, secure: true, cabinets: ids.map((id) => ({ id, ratedW: 1000 })) });
      try {
        for (const id of ids) expect((await t.api(`/api/v1/lighting/models/${id}`, { method: 'PUT', json: { ...simModel(id), securityMode: 'SignAndEncrypt' } })).status).toBe(200);
        await Promise.all(ids.map((id) => t.register({ id, kind: 'lighting-controller', protocol: 'opcua', endpointUrl: server.endpointUrl, model: id })));
        const mine = async () => ((await (await t.api('/api/v1/lighting/opcua')).json()) as OpcuaCabinetStatus[]).filter((c) => ids.includes(c.controllerId));
        await eventually(async () => (await mine()).filter((c) => c.link === 'connected').length === PER_SERVER, 60_000, `round ${round}: every cabinet connected`)
          .catch(async (err: Error) => {
            throw new Error(`${err.message}; now ${JSON.stringify((await mine()).map((c) => [c.controllerId, c.link, c.detail]))}`);
          });
      } finally {
        for (const id of ids) await t.api(`/api/v1/devices/${id}`, { method: 'DELETE' });
        await server.stop().catch(() => undefined);
      }
    }
  }, 300_000);
});
