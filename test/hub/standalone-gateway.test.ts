import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TeltonikaTcpClient } from '../../simulators/protocols/teltonika.ts';
import { eventually, startTestHub, type TestHub } from '../support/hub.ts';

/** A tracker gateway as its own process (an edge server), forwarding to the hub over MQTT with service credentials. */
describe('standalone gateway process → hub', () => {
  let t: TestHub;
  let gateway: ChildProcess | undefined;
  let gatewayLog = '';
  beforeAll(async () => {
    t = await startTestHub();
  });
  afterAll(async () => {
    gateway?.kill('SIGTERM');
    await t?.stop();
  });

  it('issues service credentials to admins only', async () => {
    expect((await t.api('/api/v1/service-accounts', { method: 'POST', token: null, json: { name: 'edge-x', scope: 'gateway' } })).status).toBe(401);
    const bad = await t.api('/api/v1/service-accounts', { method: 'POST', json: { name: 'Edge X', scope: 'gateway' } });
    expect(bad.status).toBe(400);
  });

  it('carries Teltonika records from the edge to the track', async () => {
    await t.register({ id: 'edge-trk', kind: 'tracker', protocol: 'teltonika', imei: '352093081459999', vehicleId: 'TB-999' });
    const res = await t.api('/api/v1/service-accounts', { method: 'POST', json: { name: 'edge-1', scope: 'gateway' } });
    expect(res.status).toBe(201);
    const { username, secret } = (await res.json()) as { username: string; secret: string };
    expect(username).toBe('svc:edge-1');

    gateway = spawn(process.execPath, ['--import', 'tsx', 'gateways/main.ts'], {
      env: {
        PATH: process.env.PATH, MQTT_URL: `mqtt://127.0.0.1:${t.mqttPort}`, GATEWAY_USERNAME: username, GATEWAY_PASSWORD: secret,
        GATEWAY_HOST: '127.0.0.1', GATEWAY_PROTOCOLS: 'teltonika', TELTONIKA_PORT: '0', LOG_LEVEL: 'info',
        GATEWAY_DEVICES: JSON.stringify([{ protocol: 'teltonika', imei: '352093081459999', deviceId: 'edge-trk' }]),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    gateway.stdout!.on('data', (d: Buffer) => (gatewayLog += d.toString()));
    gateway.stderr!.on('data', (d: Buffer) => (gatewayLog += d.toString()));
    const port = await eventually(async () => {
      const line = gatewayLog.split('\n').find((l) => l.includes('gateway started'));
      return line ? (JSON.parse(line) as { ports: number[] }).ports[0] : undefined;
    }, 30_000, 'the gateway to start');
    await eventually(async () => gatewayLog.includes('connected to the hub'), 10_000, 'the gateway to log in to the hub');

    const now = Math.floor(Date.now() / 1000) * 1000;
    const client = new TeltonikaTcpClient();
    expect(await client.connect('127.0.0.1', port!, '352093081459999')).toBe(true);
    expect(await client.sendRecords([
      { ts: now - 20_000, lat: 48.501, lon: 32.251, speedKmh: 15, satellites: 7 },
      { ts: now - 10_000, lat: 48.502, lon: 32.252, speedKmh: 16, satellites: 7 },
    ])).toBe(2);
    client.close();

    const track = await eventually(async () => {
      const points = (await (await t.api('/api/v1/transit/vehicles/TB-999/track')).json()) as { lat: number; deviceId: string }[];
      return points.length === 2 ? points : undefined;
    }, 10_000, 'the records in the track');
    expect(track.map((p) => p.lat)).toEqual([48.501, 48.502]);
    expect(track[0]!.deviceId).toBe('edge-trk');
  }, 60_000);
});
