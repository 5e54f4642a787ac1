import net from 'node:net';
import { Aedes, type Client } from 'aedes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeDeviceMessage, LightingCommandAck, parseTopic, topics } from '../../services/contracts/index.ts';
import { loadGtfsPath } from '../../services/transit/gtfs/read.ts';
import { demoCity } from '../../simulators/city/demo-city.ts';
import { DEMO_GTFS_DIR } from '../../simulators/city/demo-gtfs.ts';
import { feedIndex } from '../../simulators/city/models.ts';
import { startCitySimulator, type CitySimulator } from '../../simulators/city/run-city.ts';

interface Seen {
  topic: string;
  clientId: string;
  payload: string;
}

/** Polls until the condition holds; fails with the message if it never does. */
async function until(what: string, condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const loaded = loadGtfsPath(DEMO_GTFS_DIR);
if (!loaded.ok) throw new Error('the demo feed does not load');
const gtfs = loaded.feed;

describe('city simulator against a real MQTT broker', () => {
  const devices = demoCity({ vehicles: 5, controllers: 2, meters: 3, trackerProtocols: { teltonika: 1 } });
  const mqttDevices = devices.filter((d) => d.protocol === 'mqtt');
  const impostor = mqttDevices.find((d) => d.kind === 'energy-meter')!;
  const secrets = new Map(devices.map((d) => [d.id, `s3cret-${d.id}`]));
  // The simulator is given a wrong secret for one device: the broker must refuse it alone.
  const credentials = new Map(secrets);
  credentials.set(impostor.id, 'wrong');
  const healthy = mqttDevices.filter((d) => d.id !== impostor.id);
  const controller = mqttDevices.find((d) => d.kind === 'lighting-controller')!;

  let broker: Aedes;
  let server: net.Server;
  let url: string;
  let sim: CitySimulator;
  const seen: Seen[] = [];
  const clients = new Map<string, Client>();
  const subscribed = new Set<string>();
  let refused = 0;

  beforeAll(async () => {
    broker = await Aedes.createBroker({
      authenticate: (client, username, password, done) => {
        const ok = username !== undefined && username === client.id && secrets.get(username) === password?.toString();
        if (ok) return done(null, true);
        refused++;
        const err = Object.assign(new Error('bad username or password'), { returnCode: 4 as const });
        done(err, false);
      },
      // The hub's rule: a device publishes under its own id only, and subscribes to its commands only.
      authorizePublish: (client, packet, cb) => cb(client && parseTopic(packet.topic)?.deviceId === client.id ? null : new Error('not yours')),
      authorizeSubscribe: (client, sub, cb) => cb(null, sub.topic === topics.lightingCommand(client.id) ? sub : null),
    });
    broker.on('client', (c) => clients.set(c.id, c));
    broker.on('subscribe', (subs, c) => subs.forEach((s) => subscribed.add(`${c.id} ${s.topic}`)));
    broker.on('publish', (packet, client) => {
      if (client) seen.push({ topic: packet.topic, clientId: client.id, payload: packet.payload.toString() });
    });
    server = net.createServer({ noDelay: true }, (socket) => broker.handle(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    sim = startCitySimulator({ mqttUrl: url, credentials, devices, intervalMs: 200, connectSpreadMs: 100, faults: false, gtfs });
  });

  afterAll(async () => {
    await sim?.stop();
    await new Promise<void>((resolve) => broker?.close(() => resolve()));
    await new Promise<void>((resolve) => server?.close(() => resolve()));
  });

  it('publishes from every device with its secret, on its own topics, payloads the hub accepts', async () => {
    const count = (id: string) => seen.filter((s) => s.clientId === id).length;
    await until('three messages from every healthy device', () => healthy.every((d) => count(d.id) >= 3));
    const now = Date.now();
    const problems: string[] = [];
    for (const s of seen) {
      const decoded = decodeDeviceMessage(s.topic, s.payload, now);
      if (!decoded.ok) problems.push(`${s.topic}: ${decoded.error.detail}`);
      else if (decoded.message.deviceId !== s.clientId) problems.push(`${s.topic} published by ${s.clientId}`);
    }
    expect(problems).toEqual([]);
    for (const d of healthy) {
      const expected =
        d.kind === 'tracker' ? topics.position(d.id) : d.kind === 'lighting-controller' ? topics.lightingState(d.id) : topics.energyReading(d.id);
      expect(seen.some((s) => s.topic === expected)).toBe(true);
    }
  });

  it('drives the trackers along the shapes of their route in the feed (in service or standing at a terminus)', async () => {
    const index = feedIndex(gtfs);
    const trackers = healthy.filter((d) => d.kind === 'tracker');
    expect(trackers.length).toBeGreaterThan(0);
    for (const d of trackers) {
      const last = seen.filter((s) => s.clientId === d.id && s.topic === topics.position(d.id)).at(-1);
      expect(last, d.id).toBeDefined();
      const p = JSON.parse(last!.payload) as { lat: number; lon: number };
      const lines = [...index.trips.values()].filter((t) => t.routeId === d.routeId).map((t) => t.line);
      expect(Math.min(...[...new Set(lines)].map((l) => l.distanceTo([p.lat, p.lon]))), d.id).toBeLessThan(5);
    }
  });

  it('leaves out the device the broker refuses, and devices of other protocols', async () => {
    await until('the broker to refuse the wrong secret', () => refused > 0);
    expect(seen.filter((s) => s.clientId === impostor.id)).toEqual([]);
    const stats = sim.stats();
    expect(stats.skipped).toBe(1);
    expect(stats.devices).toBe(mqttDevices.length);
    expect(stats.connectErrors).toBeGreaterThan(0);
    expect(stats.published.position).toBeGreaterThan(0);
    expect(stats.published['lighting-state']).toBeGreaterThan(0);
    expect(stats.published['energy-reading']).toBeGreaterThan(0);
  });

  it('answers a lighting command with an ack and applies it', async () => {
    await until('the controller to subscribe to its commands', () => subscribed.has(`${controller.id} ${topics.lightingCommand(controller.id)}`));
    const cmdId = 'it-cmd-1';
    const now = Date.now();
    broker.publish(
      {
        cmd: 'publish',
        topic: topics.lightingCommand(controller.id),
        payload: Buffer.from(JSON.stringify({ cmdId, ts: now, action: 'set-level', level: 37, expiresAt: now + 600_000 })),
        qos: 1,
        retain: false,
        dup: false,
      },
      () => {},
    );
    const ackTopic = topics.lightingCommandAck(controller.id);
    await until('the ack', () => seen.some((s) => s.topic === ackTopic && s.payload.includes(cmdId)));
    const ack = LightingCommandAck.parse(JSON.parse(seen.find((s) => s.topic === ackTopic)!.payload));
    expect(ack).toMatchObject({ cmdId, status: 'applied' });
    const stateTopic = topics.lightingState(controller.id);
    await until('a state at the commanded level', () =>
      seen.some((s) => s.topic === stateTopic && (JSON.parse(s.payload) as { level: number }).level === 37),
    );
    expect(sim.stats().commandsApplied).toBe(1);
  });

  it('reconnects when the broker drops the connections', async () => {
    await until('every healthy device connected', () => sim.stats().connected === healthy.length);
    const before = new Map(healthy.map((d) => [d.id, seen.filter((s) => s.clientId === d.id).length]));
    for (const d of healthy) clients.get(d.id)?.close();
    await until('fresh messages from every device after the drop', () =>
      healthy.every((d) => seen.filter((s) => s.clientId === d.id).length >= before.get(d.id)! + 3),
    );
    await until('every healthy device connected again', () => sim.stats().connected === healthy.length);
  });

  it('stops cleanly, closing every connection', async () => {
    await sim.stop();
    await until('the broker to see every client leave', () => broker.connectedClients === 0);
    const stats = sim.stats();
    expect(stats.connected).toBe(0);
    const count = seen.length;
    await new Promise((r) => setTimeout(r, 500));
    expect(seen.length).toBe(count);
  });
});

describe('city simulator started before its broker', () => {
  it('keeps retrying and starts publishing once the broker is up', async () => {
    const devices = demoCity({ vehicles: 1, controllers: 1, meters: 1 });
    const secrets = new Map(devices.map((d) => [d.id, `pw-${d.id}`]));
    // Find a free port, then leave it closed for a while.
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));

    const warnings: string[] = [];
    const sim = startCitySimulator({
      mqttUrl: `mqtt://127.0.0.1:${port}`,
      credentials: secrets,
      devices,
      intervalMs: 200,
      connectSpreadMs: 50,
      faults: false,
      logger: { info: () => {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) },
    });
    const broker = await Aedes.createBroker({
      authenticate: (client, username, password, done) => done(null, secrets.get(username ?? '') === password?.toString()),
    });
    const seen = new Set<string>();
    broker.on('publish', (packet, client) => {
      if (client) seen.add(client.id);
    });
    const server = net.createServer({ noDelay: true }, (socket) => broker.handle(socket));
    try {
      await until('a refused connection', () => sim.stats().connectErrors > 0);
      expect(sim.stats().connected).toBe(0);
      expect(warnings.some((w) => /ECONNREFUSED/.test(w))).toBe(true);
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      await until('every device to publish', () => devices.every((d) => seen.has(d.id)));
    } finally {
      await sim.stop();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
