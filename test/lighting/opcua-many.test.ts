import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LightingCommandRecord, OpcuaCabinetStatus } from '../../services/contracts/index.ts';
import { lightingDomainWith } from '../../services/lighting/module.ts';
import { simModel, startCabinetServer, type CabinetServer } from '../../simulators/lighting/opcua-cabinets.ts';
import { eventually, startTestHub, type TestHub } from '../support/hub.ts';
import { makeTempDir } from '../support/temp-dir.ts';

/**
 * 100 OPC UA cabinets on 4 simulator servers (25 each, more than the 10 connections and the 10
 * subscriptions per session node-opcua's server takes by default): one connection, session and
 * subscription per server, so all connect and a group command is confirmed by every one. Prints the times (not asserted: the machine is shared).
 */
describe('100 OPC UA cabinets on 4 servers', () => {
  const dir = makeTempDir('opcua-many');
  const servers: CabinetServer[] = [];
  let t: TestHub;
  const ids = Array.from({ length: 100 }, (_, i) => `many-${String(i).padStart(3, '0')}`);
  beforeAll(async () => {
    for (let s = 0; s < 4; s++) servers.push(await startCabinetServer({ port: 0, pkiDir: `${dir.path}/s${s}`, cabinets: ids.filter((_, i) => i % 4 === s).map((id) => ({ id, ratedW: 1500 })) }));
    t = await startTestHub({}, { domains: [lightingDomainWith({ tickMs: 500 })] });
  }, 180_000);
  afterAll(async () => {
    await t?.stop();
    for (const s of servers) await s.stop().catch(() => undefined);
    dir.remove();
  });

  it('all connect and confirm a group command', async () => {
    const t0 = Date.now(); // from the first registration: each cabinet connects once registered
    for (const [i, id] of ids.entries()) {
      expect((await t.api(`/api/v1/lighting/models/sim-${id}`, { method: 'PUT', json: simModel(id) })).status).toBe(200);
      await t.register({ id, kind: 'lighting-controller', protocol: 'opcua', endpointUrl: servers[i % 4]!.endpointUrl, model: `sim-${id}` });
    }
    expect((await t.api('/api/v1/lighting/groups/many', { method: 'PUT', json: { name: 'many', controllerIds: ids } })).status).toBe(200);
    const links = async () => ((await (await t.api('/api/v1/lighting/opcua')).json()) as OpcuaCabinetStatus[]).map((c) => c.link);
    await eventually(async () => (await links()).filter((l) => l === 'connected').length === ids.length, 240_000, 'all 100 connected')
      .catch(async (err: Error) => {
        throw new Error(`${err.message}; links: ${JSON.stringify((await links()).reduce<Record<string, number>>((a, l) => ({ ...a, [l]: (a[l] ?? 0) + 1 }), {}))}`);
      });
    const connectedS = (Date.now() - t0) / 1000;
    // every cabinet heard from (its first state), so the command goes out to all at once
    await eventually(async () => ((await (await t.api('/api/v1/lighting/controllers')).json()) as { controllerId: string }[]).filter((c) => ids.includes(c.controllerId)).length === ids.length, 60_000, 'all 100 live');
    const t1 = Date.now();
    expect((await t.api('/api/v1/lighting/overrides', { method: 'POST', json: { groupId: 'many', level: 55, expiresAt: new Date(Date.now() + 600_000).toISOString() } })).status).toBe(201);
    await eventually(async () => {
      const all = (await (await t.api('/api/v1/lighting/commands?limit=1000')).json()) as LightingCommandRecord[];
      return all.filter((c) => c.level === 55 && c.state === 'acknowledged').length === ids.length;
    }, 120_000, 'the group command confirmed by all 100');
    const confirmedS = (Date.now() - t1) / 1000;
    for (const [i, id] of ids.entries()) expect(servers[i % 4]!.cabinets.get(id)!.setpoint).toBe(550);
    console.log(`OPC UA: 100 cabinets on 4 servers registered and connected in ${connectedS.toFixed(1)} s; group command confirmed by all in ${confirmedS.toFixed(1)} s; load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  }, 600_000);
});
