import Database from 'better-sqlite3';
import type mqtt from 'mqtt';
import type { MqttClient } from 'mqtt';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../services/contracts/index.ts';
import { DOMAINS } from '../../services/hub/domains.ts';
import type { Domain, DomainContext } from '../../services/platform/domain-module.ts';
import { eventually, startTestHub, type TestHub } from '../support/hub.ts';
import { connectDevice } from '../support/mqtt-client.ts';
import { startRedis, type RunningRedis } from '../support/redis.ts';
import { makeTempDir } from '../support/temp-dir.ts';

function copyRegistry(fromDir: string, toDir: string): void {
  const db = new Database(join(fromDir, 'registry.sqlite'), { readonly: true });
  db.exec(`VACUUM INTO '${join(toDir, 'registry.sqlite').replace(/'/g, "''")}'`);
  db.close();
}

/** A domain that only keeps the context the hub gave it, so the test can publish as a domain does. */
function probe(): { domain: Domain; ctx: () => DomainContext } {
  let kept: DomainContext | undefined;
  return {
    domain: { name: 'probe', create: (ctx) => ((kept = ctx), { name: 'probe' }) },
    ctx: () => kept ?? (() => { throw new Error('probe domain not created'); })(),
  };
}

function received(client: MqttClient): { topic: string; payload: string }[] {
  const list: { topic: string; payload: string }[] = [];
  client.on('message', (topic, payload) => list.push({ topic, payload: payload.toString() }));
  return list;
}

const command = (cmdId: string) => JSON.stringify({ cmdId, ts: new Date().toISOString(), action: 'set-level', level: 40 });

/** Two hubs on one Redis (REDIS_URL): their embedded brokers act as one. */
describe('embedded brokers as one (REDIS_URL, mqemitter-redis + aedes-persistence-redis)', () => {
  let redis: RunningRedis;
  let a: TestHub;
  let b: TestHub;
  const probeA = probe();
  const probeB = probe();
  const clients: MqttClient[] = [];
  const cabinet = { id: 'cab-x1', kind: 'lighting-controller', protocol: 'mqtt' } as const;
  let secret = '';

  const bDir = makeTempDir('hub-b');

  beforeAll(async () => {
    redis = await startRedis();
    a = await startTestHub({ REDIS_URL: redis.url, HUB_INSTANCE_ID: 'hub-a' }, { domains: [...DOMAINS, probeA.domain] });
    secret = (await a.register(cabinet)).secret;
    copyRegistry(a.dataDir, bDir.path);
    // The registry is per instance until it moves to PostgreSQL (docs/scale-out.md): B starts
    // from a copy of A's, so the device logs in to either with one secret.
    b = await startTestHub({ REDIS_URL: redis.url, HUB_INSTANCE_ID: 'hub-b' }, { dataDir: bDir.path, domains: [...DOMAINS, probeB.domain] });
  }, 60_000);

  afterAll(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => undefined);
    await a?.stop();
    await b?.stop();
    bDir.remove();
    await redis?.stop();
  });

  const connect = async (port: number, opts: mqtt.IClientOptions = {}, prepare?: (c: MqttClient) => void) => {
    const c = await connectDevice(`mqtt://127.0.0.1:${port}`, { username: cabinet.id, password: secret, clientId: cabinet.id, ...opts }, {
      prepare: (client) => {
        clients.push(client);
        prepare?.(client);
      },
    });
    return c;
  };

  /**
   * Resolves once instance A has taken in everything B sent to Redis so far. A learns of a
   * subscription made on B from B's `$SYS/sub/add` on its own Redis subscriber connection, a
   * moment after B's SUBACK (which waits for B's copy only). A marker B publishes afterwards
   * travels behind it on the same connections, so once an observer on A has the marker, A knows
   * the subscription.
   */
  const aCaughtUpWithB = async (marker: string) => {
    const res = await a.api('/api/v1/service-accounts', { method: 'POST', json: { name: `watch-${marker}`, scope: 'observer' } });
    expect(res.status).toBe(201);
    const observer = (await res.json()) as { username: string; secret: string };
    const watch = await connectDevice(`mqtt://127.0.0.1:${a.mqttPort}`, { username: observer.username, password: observer.secret });
    clients.push(watch);
    const seen = received(watch);
    await watch.subscribeAsync(topics.lightingCommand(marker), { qos: 1 });
    await probeB.ctx().publish(topics.lightingCommand(marker), command(marker));
    await eventually(async () => seen.some((m) => m.payload.includes(`"${marker}"`)), 10_000, "B's marker on A");
    await watch.endAsync();
  };

  it('a command the hub publishes on instance A reaches the controller connected to instance B', async () => {
    const device = await connect(b.mqttPort);
    const got = received(device);
    await device.subscribeAsync(topics.lightingCommand(cabinet.id), { qos: 1 });
    await probeA.ctx().publish(topics.lightingCommand(cabinet.id), command('c-1'));
    const message = await eventually(async () => got.find((m) => m.payload.includes('"c-1"')), 10_000, 'the command on B');
    expect(message.topic).toBe(topics.lightingCommand(cabinet.id));
    expect(JSON.parse(message.payload)).toMatchObject({ cmdId: 'c-1', action: 'set-level', level: 40 });
    await device.endAsync();
  });

  it('a persistent session kept on B gets, on A, the command published while it was away', async () => {
    const first = await connect(b.mqttPort, { clean: false });
    await first.subscribeAsync(topics.lightingCommand(cabinet.id), { qos: 1 });
    await first.endAsync();
    // The session is known cluster-wide only once A has B's news of the subscription (docs/scale-out.md).
    await aCaughtUpWithB('mark-1');
    // Offline now: the command is queued in Redis for the session.
    await probeA.ctx().publish(topics.lightingCommand(cabinet.id), command('c-2'));
    // Listening before the CONNACK: the queued command follows it at once.
    let got: { topic: string; payload: string }[] = [];
    const again = await connect(a.mqttPort, { clean: false }, (c) => (got = received(c)));
    const message = await eventually(async () => got.find((m) => m.payload.includes('"c-2"')), 10_000, 'the queued command on A');
    expect(message.topic).toBe(topics.lightingCommand(cabinet.id));
    await again.endAsync();
  });

  it('a message is taken in by the instance that received it, once', async () => {
    const device = await connect(b.mqttPort);
    const state = JSON.stringify({ ts: new Date().toISOString(), level: 73, on: true });
    await device.publishAsync(topics.lightingState(cabinet.id), state, { qos: 1 });
    const onB = await eventually(async () => {
      const list = (await (await b.api('/api/v1/lighting/controllers')).json()) as { level: number }[];
      return list.find((c) => c.level === 73);
    }, 10_000, 'the state on B');
    expect(onB.level).toBe(73);
    // A did not take it in: its spool and live state never saw it.
    const metricsA = await (await a.api('/metrics')).text();
    expect(metricsA).not.toMatch(/mistohub_messages_accepted_total\{[^}]*channel="lighting-state"[^}]*\} [1-9]/);
    const metricsB = await (await b.api('/metrics')).text();
    expect(metricsB).toMatch(/mistohub_messages_accepted_total\{[^}]*channel="lighting-state"[^}]*\} 1\b/);
    await device.endAsync();
  });
});
