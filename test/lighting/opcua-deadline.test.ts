import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControllerState, LightingCommandRecord, LightingOverride, OpcuaCabinetStatus } from '../../services/contracts/index.ts';
import { lightingDomainWith } from '../../services/lighting/module.ts';
import { simModel, startCabinetServer, type CabinetServer } from '../../simulators/lighting/opcua-cabinets.ts';
import { eventually, startTestHub, type TestHub } from '../support/hub.ts';
import { makeTempDir } from '../support/temp-dir.ts';

/**
 * A TCP server in front of `target` that forwards bytes both ways until `freeze()`; from then on
 * (and from the start when `target` is null) it accepts connections and swallows every byte:
 * a cabinet whose server still takes TCP but never answers.
 */
async function silentServer(target: { host: string; port: number } | null): Promise<{ port: number; freeze(): void; close(): Promise<void> }> {
  let frozen = target === null;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on('error', () => undefined);
    client.on('close', () => sockets.delete(client));
    if (!target) return void client.on('data', () => undefined);
    const upstream = connect(target.port, target.host);
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    upstream.on('close', () => sockets.delete(upstream));
    client.on('data', (d) => void (frozen || upstream.write(d)));
    upstream.on('data', (d) => void (frozen || client.write(d)));
    client.on('close', () => void (frozen || upstream.destroy()));
    upstream.on('close', () => void (frozen || client.destroy()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    freeze: () => void (frozen = true),
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/**
 * The connect deadline: the mute cabinet is shown unreachable once it passes. Several times what
 * a local connect takes on a loaded machine (a healthy cabinet that missed it is started afresh
 * after its backoff, so a slow connect costs a retry, not the test); it was 20 s, waited out.
 */
const CONNECT_MS = 8_000;

/**
 * Every exchange with an OPC UA cabinet has a deadline, so a cabinet whose server stops
 * answering (or never answers) cannot hold up the dispatch pass: a real hub, one simulator
 * server, a healthy cabinet beside one that falls silent mid-session and one that never answers,
 * all in one group.
 */
describe('an OPC UA cabinet that stops answering', () => {
  const dir = makeTempDir('opcua-deadline');
  let server: CabinetServer;
  let frozen: Awaited<ReturnType<typeof silentServer>>;
  let mute: Awaited<ReturnType<typeof silentServer>>;
  let t: TestHub;

  beforeAll(async () => {
    server = await startCabinetServer({ port: 0, pkiDir: dir.path, cabinets: ['ok-1', 'stuck-1', 'mute-1'].map((id) => ({ id, ratedW: 1000 })) });
    frozen = await silentServer({ host: '127.0.0.1', port: Number(new URL(server.endpointUrl).port) });
    mute = await silentServer(null);
    t = await startTestHub({}, {
      domains: [lightingDomainWith({ tickMs: 200, opcuaBackoff: { initialMs: 200, maxMs: 1_000 }, opcuaTimeouts: { exchangeMs: 3_000, connectMs: CONNECT_MS } })],
    });
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
    await frozen?.close();
    await mute?.close();
    await server?.stop().catch(() => undefined);
    dir.remove();
  });

  const status = async (id: string) => ((await (await t.api('/api/v1/lighting/opcua')).json()) as OpcuaCabinetStatus[]).find((c) => c.controllerId === id);
  const commands = async (id: string) => (await (await t.api(`/api/v1/lighting/commands?controllerId=${id}`)).json()) as LightingCommandRecord[];
  const override = async (level: number) => {
    const res = await t.api('/api/v1/lighting/overrides', { method: 'POST', json: { groupId: 'g-deadline', level, expiresAt: new Date(Date.now() + 600_000).toISOString() } });
    expect(res.status).toBe(201);
    return (await res.json()) as LightingOverride;
  };

  it('the healthy cabinet is driven while the silent ones are shown unreachable and their commands wait', async () => {
    const endpoint = (port: number) => `opc.tcp://127.0.0.1:${port}/UA/Cabinets`;
    const where = { 'ok-1': server.endpointUrl, 'stuck-1': endpoint(frozen.port), 'mute-1': endpoint(mute.port) };
    for (const [id, endpointUrl] of Object.entries(where)) {
      expect((await t.api(`/api/v1/lighting/models/${id}`, { method: 'PUT', json: simModel(id) })).status).toBe(200);
      await t.register({ id, kind: 'lighting-controller', protocol: 'opcua', endpointUrl, model: id });
    }
    expect((await t.api('/api/v1/lighting/groups/g-deadline', { method: 'PUT', json: { name: 'deadline', controllerIds: Object.keys(where) } })).status).toBe(200);

    // Before anything stops answering: two connected and reporting; the mute one is given up on by its deadline.
    await eventually(async () => (await status('ok-1'))?.link === 'connected' && (await status('stuck-1'))?.link === 'connected', 60_000, 'ok-1 and stuck-1 connected');
    await eventually(async () => {
      const live = (await (await t.api('/api/v1/lighting/controllers')).json()) as ControllerState[];
      return ['ok-1', 'stuck-1'].every((id) => live.some((c) => c.controllerId === id));
    }, 20_000, 'ok-1 and stuck-1 live');
    const muted = await eventually(async () => {
      const s = await status('mute-1');
      return s?.link === 'unreachable' && s.detail?.includes(`no answer within ${CONNECT_MS} ms`) && s;
    }, 90_000, 'mute-1 shown unreachable for its missed connect deadline');
    expect(muted.detail).toContain('connecting');

    // stuck-1's server falls silent, its TCP connection left open.
    frozen.freeze();
    await override(40);
    const first = await eventually(async () => (await commands('ok-1')).find((c) => c.level === 40 && c.state === 'acknowledged'), 30_000, 'ok-1 confirms 40');
    expect(first.detail).toBe('read back 40');
    expect(server.cabinets.get('ok-1')!.setpoint).toBe(400);
    // stuck-1's write missed its deadline: not a refusal by the cabinet, the command waits for it.
    const waiting = await eventually(async () => (await commands('stuck-1')).find((c) => c.level === 40 && /no answer within 3000 ms/.test(c.detail ?? '')), 30_000, 'stuck-1 timed out');
    expect(['pending', 'sent']).toContain(waiting.state);
    expect(waiting.detail).toContain('stuck-1');
    expect((await status('stuck-1'))?.link).toBe('unreachable');
    expect((await commands('mute-1')).every((c) => c.state === 'pending')).toBe(true);

    // The passes go on: a new level reaches the healthy cabinet, the silent ones still wait.
    const before = (await commands('stuck-1')).length;
    await override(60);
    const second = await eventually(async () => (await commands('ok-1')).find((c) => c.level === 60 && c.state === 'acknowledged'), 30_000, 'ok-1 confirms 60');
    expect(second.detail).toBe('read back 60');
    expect(server.cabinets.get('ok-1')!.setpoint).toBe(600);
    const stuck = await commands('stuck-1');
    expect(stuck.length).toBeGreaterThan(before);
    expect(stuck.some((c) => c.state === 'acknowledged' || c.state === 'rejected')).toBe(false);
    expect(server.cabinets.get('stuck-1')!.setpoint).toBe(0);
  }, 300_000);
});
