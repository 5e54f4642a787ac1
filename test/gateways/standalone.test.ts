import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { createMqttIngest } from '../../gateways/mqtt-ingest.ts';
import { GatewaySettingsError, parseGatewaySettings } from '../../gateways/settings.ts';
import { silentLogger } from '../../gateways/common/types.ts';
import { startTeltonikaGateway } from '../../gateways/teltonika/server.ts';
import { TeltonikaTcpClient } from '../../simulators/protocols/teltonika.ts';

describe('standalone gateway settings', () => {
  const devices = JSON.stringify([{ protocol: 'teltonika', imei: '356307042441013', deviceId: 'trk-1' }]);

  it('parses a complete environment with defaults', () => {
    const s = parseGatewaySettings({ MQTT_URL: 'mqtt://hub:1883', GATEWAY_USERNAME: 'edge-1', GATEWAY_PASSWORD: 'pw', GATEWAY_DEVICES: devices });
    expect(s).toMatchObject({ TELTONIKA_PORT: 5027, WIALON_PORT: 5039, GT06_PORT: 5023, GATEWAY_PROTOCOLS: ['teltonika', 'wialon-ips', 'gt06'], GATEWAY_ACK_TIMEOUT_MS: 10_000 });
    expect(s.devices).toEqual([{ protocol: 'teltonika', imei: '356307042441013', deviceId: 'trk-1' }]);
  });

  it('reads the device list from a file', () => {
    const s = parseGatewaySettings({ MQTT_URL: 'mqtts://hub', GATEWAY_USERNAME: 'e', GATEWAY_PASSWORD: 'p', GATEWAY_DEVICES_FILE: '/etc/trackers.json' }, () => devices);
    expect(s.devices).toHaveLength(1);
  });

  it('names every bad variable in one error, hiding the password', () => {
    let err: unknown;
    try {
      parseGatewaySettings({ MQTT_URL: 'http://x', GATEWAY_PASSWORD: 'secret', TELTONIKA_PORT: '70000', GATEWAY_PROTOCOLS: 'teltonika,nmea', GATEWAY_DEVICES: '[{"protocol":"gt06"}]' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GatewaySettingsError);
    const message = (err as Error).message;
    for (const name of ['MQTT_URL', 'GATEWAY_USERNAME', 'TELTONIKA_PORT', 'GATEWAY_PROTOCOLS', 'GATEWAY_DEVICES']) expect(message).toContain(name);
    expect(message).not.toContain('secret');
  });
});

describe('MQTT ingest of a standalone gateway', () => {
  let broker: Aedes | null = null;
  let server: Server | null = null;
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function startBroker(): Promise<number> {
    broker = await Aedes.createBroker();
    server = createServer(broker.handle);
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const b = broker;
    const s = server;
    cleanups.push(() => new Promise<void>((r) => b.close(() => s.close(() => r()))));
    return (server.address() as AddressInfo).port;
  }

  it('publishes at QoS 1 to the contract topic and ACKs the tracker only after PUBACK', async () => {
    const port = await startBroker();
    const received: Array<{ topic: string; qos: number; payload: unknown }> = [];
    broker!.on('publish', (packet, client) => {
      if (client) received.push({ topic: packet.topic, qos: packet.qos, payload: JSON.parse(packet.payload.toString()) });
    });
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { username: 'edge-1', password: 'pw', reconnectPeriod: 0 });
    cleanups.push(() => client.endAsync());
    const ingest = createMqttIngest(client, { ackTimeoutMs: 2_000, logger: silentLogger });
    const gw = await startTeltonikaGateway({ host: '127.0.0.1', port: 0, ingest, lookupTracker: () => ({ deviceId: 'trk-edge-1' }) });
    cleanups.push(() => gw.close());
    const tracker = new TeltonikaTcpClient(3_000);
    cleanups.push(() => tracker.close());
    expect(await tracker.connect('127.0.0.1', gw.port, '356307042441013')).toBe(true);
    const ts = Date.UTC(2026, 4, 1, 6, 0, 0);
    expect(await tracker.sendRecords([{ ts, lat: 48.5079, lon: 32.2623, speedKmh: 35, satellites: 10, io: { 239: 1 } }])).toBe(1);
    expect(received).toEqual([
      {
        topic: 'v1/transit/trk-edge-1/position',
        qos: 1,
        payload: { ts, lat: 48.5079, lon: 32.2623, speedKmh: 35, courseDeg: 0, altitudeM: 0, satellites: 10, fix: true, ignition: true, io: { '239': 1 } },
      },
    ]);
  });

  it('rejects accept() when no PUBACK comes in time, so the tracker is not ACKed', async () => {
    const port = await startBroker();
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 });
    cleanups.push(() => void client.end(true));
    // The broker is held mid-publish: authorizePublish never calls back, so no PUBACK.
    broker!.authorizePublish = () => {};
    const ingest = createMqttIngest(client, { ackTimeoutMs: 300, logger: silentLogger });
    await expect(ingest.accept([{ channel: 'position', deviceId: 'trk-1', ts: 1_700_000_000_000, payload: { ts: 1_700_000_000_000, lat: 1, lon: 2 } }], 'teltonika')).rejects.toThrow(/PUBACK/);
  });
});
