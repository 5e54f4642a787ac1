import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../services/contracts/index.ts';
import { DOMAINS } from '../../services/hub/domains.ts';
import type { Domain, DomainContext } from '../../services/platform/domain-module.ts';
import { ADMIN_TOKEN, eventually, startTestHub, type TestHub } from '../support/hub.ts';
import { startHubProcess, type HubProcess } from '../support/hub-process.ts';
import { startMosquitto, type RunningMosquitto } from '../support/mosquitto-broker.ts';
import { makeTempDir } from '../support/temp-dir.ts';

const TRACKERS = 5;
const PER_TRACKER = 300;
const TOTAL = TRACKERS * PER_TRACKER;
const BASE_MS = Date.parse('2026-11-27T08:00:00Z');

/** The positions a hub's embedded store holds, as `device@ts` keys. */
function storedKeys(dataDir: string): string[] {
  const file = join(dataDir, 'history.sqlite');
  if (!existsSync(file)) return [];
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare(`SELECT s.device AS device, p.ts AS ts FROM points p JOIN series s ON s.id = p.series_id WHERE s.measurement = 'position'`).all() as { device: string; ts: number }[]).map((r) => `${r.device}@${r.ts}`);
  } finally {
    db.close();
  }
}

function copyRegistry(fromDir: string, toDir: string): void {
  const db = new Database(join(fromDir, 'registry.sqlite'), { readonly: true });
  db.exec(`VACUUM INTO '${join(toDir, 'registry.sqlite').replace(/'/g, "''")}'`);
  db.close();
}

const acceptedPositions = async (t: TestHub): Promise<number> => {
  const text = await (await t.api('/metrics')).text();
  const m = /mistohub_messages_accepted_total\{source="mqtt",channel="position"\} (\d+)/.exec(text);
  return m ? Number(m[1]) : 0;
};

/** Two hubs share the subscription on a real mosquitto 2; one stops mid-run and comes back. */
/**
 * Publishes PER_TRACKER positions from each tracker `{prefix}{i}`, ten at a time. The second half
 * is held back until `releaseSecondHalf`, so an instance stopped before that really stops
 * mid-run (on a busy machine the whole run could otherwise reach the broker first).
 */
function publishRun(publishers: mqtt.MqttClient[], prefix: string, lonAt: (n: number) => number) {
  let published = 0;
  let releaseSecondHalf!: () => void;
  const secondHalf = new Promise<void>((resolve) => (releaseSecondHalf = resolve));
  const done = (async () => {
    for (let n = 0; n < PER_TRACKER; n += 10) {
      if (n === PER_TRACKER / 2) await secondHalf;
      await Promise.all(
        publishers.flatMap((p, i) =>
          Array.from({ length: 10 }, (_, k) =>
            p.publishAsync(topics.position(`${prefix}${i}`), JSON.stringify({ ts: new Date(BASE_MS + (n + k) * 1000).toISOString(), lat: 48.5 + i / 100, lon: lonAt(n + k) }), { qos: 1 }),
          ),
        ),
      );
      published += 10 * TRACKERS;
    }
  })();
  return { published: () => published, releaseSecondHalf, done };
}

describe('external broker mode (MQTT_URL, mosquitto 2, shared subscription)', () => {
  let broker: RunningMosquitto;
  const dirA = makeTempDir('hub-ext-a');
  const dirB = makeTempDir('hub-ext-b');
  let a: TestHub | undefined;
  let b: TestHub | undefined;
  let ctxB: DomainContext | undefined;
  const probe: Domain = { name: 'probe', create: (ctx) => ((ctxB = ctx), { name: 'probe' }) };
  const env = (id: string) => ({ MQTT_URL: broker.url, HUB_INSTANCE_ID: id });

  beforeAll(async () => {
    broker = await startMosquitto();
    a = await startTestHub(env('ext-a'), { dataDir: dirA.path });
    for (let i = 0; i < TRACKERS; i++) await a.register({ id: `trk-e${i}`, kind: 'tracker', protocol: 'mqtt', vehicleId: `TB-E${i}`, routeId: 'T1' });
    await a.register({ id: 'cab-e1', kind: 'lighting-controller', protocol: 'mqtt' });
    copyRegistry(dirA.path, dirB.path);
    b = await startTestHub(env('ext-b'), { dataDir: dirB.path, domains: [...DOMAINS, probe] });
  }, 60_000);

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await broker?.stop();
    dirA.remove();
    dirB.remove();
  });

  it('embeds no broker: health says so and no MQTT port is open', async () => {
    const health = (await (await b!.api('/api/v1/health')).json()) as { components: Record<string, { detail?: string }> };
    expect(health.components.mqtt?.detail).toBe('external broker (MQTT_URL)');
    expect(b!.mqttPort).toBe(0);
  });

  it('a command published by the hub reaches the controller through the broker', async () => {
    const device = await mqtt.connectAsync(broker.url, { clientId: 'cab-e1', reconnectPeriod: 0 });
    const got: string[] = [];
    device.on('message', (_t, p) => got.push(p.toString()));
    await device.subscribeAsync(topics.lightingCommand('cab-e1'), { qos: 1 });
    await ctxB!.publish(topics.lightingCommand('cab-e1'), JSON.stringify({ cmdId: 'x-1', ts: new Date().toISOString(), action: 'off' }));
    await eventually(async () => got.find((p) => p.includes('"x-1"')), 10_000, 'the command at the controller');
    await device.endAsync();
  });

  it('every message is stored once and none is lost when one instance stops mid-run', async () => {
    const publishers = await Promise.all(Array.from({ length: TRACKERS }, (_, i) => mqtt.connectAsync(broker.url, { clientId: `trk-e${i}`, reconnectPeriod: 0 })));
    const run = publishRun(publishers, 'trk-e', (n) => 32.26 + n / 10_000);

    // A stops while messages keep coming: what it took in it acknowledges first; what the
    // broker holds for its session waits for it.
    await eventually(async () => (await acceptedPositions(a!)) >= 100, 30_000, 'A to take in some');
    await a!.stop();
    a = undefined;
    const stoppedAt = run.published();
    run.releaseSecondHalf();
    await run.done;
    expect(stoppedAt).toBeLessThan(TOTAL);
    await Promise.all(publishers.map((p) => p.endAsync()));

    // A comes back with its instance id: its session resumes.
    a = await startTestHub(env('ext-a'), { dataDir: dirA.path });
    const keys = await eventually(
      async () => {
        const all = [...storedKeys(dirA.path), ...storedKeys(dirB.path)];
        return new Set(all).size === TOTAL ? all : undefined;
      },
      60_000,
      `all ${TOTAL} positions in the stores`,
    );
    expect(keys).toHaveLength(TOTAL);
    // Both instances took a share.
    expect(storedKeys(dirA.path).length).toBeGreaterThan(0);
    expect(storedKeys(dirB.path).length).toBeGreaterThan(0);
  }, 180_000);
});

/** The same with hub processes, one of which is SIGKILLed mid-run: nothing acknowledged is lost. */
describe('external broker mode: an instance SIGKILLed mid-run', () => {
  let broker: RunningMosquitto;
  const dirA = makeTempDir('hubp-ext-a');
  const dirB = makeTempDir('hubp-ext-b');
  const procs: HubProcess[] = [];
  const start = async (dir: string, id: string) => {
    const p = await startHubProcess({ MQTT_URL: broker.url, HUB_INSTANCE_ID: id, HUB_DATA_DIR: dir });
    procs.push(p);
    return p;
  };
  const api = (p: HubProcess, path: string, init: RequestInit = {}) => fetch(`${p.httpUrl}${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' } });

  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    for (const p of procs) await p.stop();
    await broker?.stop();
    dirA.remove();
    dirB.remove();
  });

  it('every position is stored once; what the killed instance had not acknowledged comes back to it', async () => {
    let a = await start(dirA.path, 'kx-a');
    for (let i = 0; i < TRACKERS; i++) {
      const res = await api(a, '/api/v1/devices', { method: 'POST', body: JSON.stringify({ id: `trk-k${i}`, kind: 'tracker', protocol: 'mqtt', vehicleId: `TB-K${i}`, routeId: 'T1' }) });
      expect(res.status).toBe(201);
    }
    copyRegistry(dirA.path, dirB.path);
    await start(dirB.path, 'kx-b');

    const publishers = await Promise.all(Array.from({ length: TRACKERS }, (_, i) => mqtt.connectAsync(broker.url, { clientId: `trk-k${i}`, reconnectPeriod: 0 })));
    const run = publishRun(publishers, 'trk-k', () => 32.26);
    await eventually(async () => {
      const text = await (await api(a, '/metrics')).text();
      const m = /mistohub_messages_accepted_total\{source="mqtt",channel="position"\} (\d+)/.exec(text);
      return m && Number(m[1]) >= 100;
    }, 30_000, 'A to take in some');
    await a.kill();
    const killedAt = run.published();
    run.releaseSecondHalf();
    await run.done;
    expect(killedAt).toBeLessThan(TOTAL);
    await Promise.all(publishers.map((p) => p.endAsync()));

    a = await start(dirA.path, 'kx-a');
    await eventually(async () => new Set([...storedKeys(dirA.path), ...storedKeys(dirB.path)]).size === TOTAL, 60_000, `all ${TOTAL} positions in the stores`);
    // Each once: no position is in both stores.
    expect(storedKeys(dirA.path).length + storedKeys(dirB.path).length).toBe(TOTAL);
  }, 180_000);
});
