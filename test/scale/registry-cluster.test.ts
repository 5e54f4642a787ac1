import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics, type Health } from '../../services/contracts/index.ts';
import { PostgresLeaseStore } from '../../services/platform/lease-postgres.ts';
import { openPostgresRegistry } from '../../services/registry/postgres-registry.ts';
import { eventually, startTestHub, type TestHub } from '../support/hub.ts';
import { testRegistry } from '../support/registries.ts';

/** Two hubs, one registry on PostgreSQL (DATABASE_URL): what one registers, the other knows. */
describe('registry on PostgreSQL shared by two hubs (DATABASE_URL, LISTEN/NOTIFY)', () => {
  const registry = testRegistry('postgres');
  let a: TestHub;
  let b: TestHub;
  const stopped = new Set<TestHub>();

  beforeAll(async () => {
    const env = await registry.env();
    a = await startTestHub({ ...env, HUB_INSTANCE_ID: 'hub-a' });
    b = await startTestHub({ ...env, HUB_INSTANCE_ID: 'hub-b' });
  }, 90_000);

  afterAll(async () => {
    for (const hub of [a, b]) if (hub && !stopped.has(hub)) await hub.stop();
    await registry.stop();
  });

  it('both say where their registry is', async () => {
    for (const hub of [a, b]) {
      const health = (await (await hub.api('/api/v1/health', { token: null })).json()) as { components: Record<string, { detail?: string }> };
      expect(health.components.registry?.detail).toBe('PostgreSQL (DATABASE_URL), shared');
    }
  });

  it('a device registered through A’s REST logs in over MQTT to B, and its position is taken there', async () => {
    const { secret } = await a.register({ id: 'obc-12', kind: 'tracker', protocol: 'mqtt', vehicleId: 'BUS-12', routeId: '12' });
    // B hears of it through NOTIFY within a moment: wait for the login to be accepted, not for a time.
    const device = await eventually(
      () => mqtt.connectAsync(`mqtt://127.0.0.1:${b.mqttPort}`, { username: 'obc-12', password: secret, reconnectPeriod: 0 }).catch(() => undefined),
      10_000, 'a login to B',
    );
    const ts = Date.now() - 1_000;
    await device.publishAsync(topics.position('obc-12'), JSON.stringify({ ts, lat: 48.5133, lon: 32.2597, speedKmh: 31 }), { qos: 1 });
    await device.endAsync();
    const live = await eventually(async () => {
      const vehicles = (await (await b.api('/api/v1/transit/vehicles')).json()) as { vehicleId: string; deviceId: string; lat: number }[];
      return vehicles.find((v) => v.vehicleId === 'BUS-12');
    });
    expect(live).toMatchObject({ deviceId: 'obc-12', lat: 48.5133 });
    expect((await (await b.api('/api/v1/devices/obc-12')).json()) as object).toMatchObject({ id: 'obc-12', vehicleId: 'BUS-12' });
  });

  it('disabled on A, the device’s connection to B ends and B refuses its login', async () => {
    const { secret } = await a.register({ id: 'cab-3', kind: 'lighting-controller', protocol: 'mqtt', groupId: 'centre' });
    const device = await eventually(
      () => mqtt.connectAsync(`mqtt://127.0.0.1:${b.mqttPort}`, { username: 'cab-3', password: secret, reconnectPeriod: 0 }).catch(() => undefined),
      10_000, 'a login to B',
    );
    const closed = new Promise<void>((resolve) => device.once('close', () => resolve()));
    expect((await a.api('/api/v1/devices/cab-3', { method: 'PATCH', json: { enabled: false } })).status).toBe(200);
    await closed;
    await expect(mqtt.connectAsync(`mqtt://127.0.0.1:${b.mqttPort}`, { username: 'cab-3', password: secret, reconnectPeriod: 0 })).rejects.toThrow(/Not authorized|Bad username or password/i);
  });

  it('a token issued on A works on B; revoked on A, B refuses it', async () => {
    const issued = await a.api('/api/v1/tokens', { method: 'POST', json: { name: 'stop display 4', roles: ['display'] } });
    expect(issued.status).toBe(201);
    const { id, token } = (await issued.json()) as { id: string; token: string };
    await eventually(async () => (await b.api('/api/v1/transit/vehicles', { token })).status === 200, 10_000, 'the token on B');
    expect((await a.api(`/api/v1/tokens/${id}`, { method: 'DELETE' })).status).toBe(204);
    await eventually(async () => (await b.api('/api/v1/transit/vehicles', { token })).status === 401, 10_000, 'the revocation on B');
  });

  it('a device registered on B is read and changed through A at once, before B\'s notice has come', async () => {
    // Many at once, so some surely beat their notice: each is found in the shared table.
    const ids = Array.from({ length: 20 }, (_, i) => `trk-x${i}`);
    await Promise.all(ids.map(async (id) => {
      await b.register({ id, kind: 'tracker', protocol: 'mqtt', vehicleId: `BUS-${id}`, routeId: '12' });
      expect((await a.api(`/api/v1/devices/${id}`)).status).toBe(200);
    }));
    await Promise.all(ids.map(async (id) => {
      await b.register({ id: `${id}-p`, kind: 'tracker', protocol: 'mqtt', vehicleId: `BUS-${id}-p`, routeId: '12' });
      const patched = await a.api(`/api/v1/devices/${id}-p`, { method: 'PATCH', json: { routeId: '14' } });
      expect(patched.status).toBe(200);
      expect(((await patched.json()) as { routeId: string }).routeId).toBe('14');
    }));
  });

  it('a device deleted on A is gone on B, and the audit trail, shared, names both instances’ changes', async () => {
    await b.register({ id: 'mtr-8', kind: 'energy-meter', protocol: 'mqtt', buildingId: 'school-8' });
    // At once, before B's notice may have reached A: A finds the device in the shared table.
    expect((await a.api('/api/v1/devices/mtr-8', { method: 'DELETE' })).status).toBe(204);
    await eventually(async () => (await b.api('/api/v1/devices/mtr-8')).status === 404, 10_000, 'the deletion on B');
    const audit = (await (await b.api('/api/v1/audit')).json()) as { action: string; target: string }[];
    expect(audit.filter((e) => e.target === 'mtr-8').map((e) => e.action)).toEqual(['device.delete', 'device.create']);
  });

  it('leases in PostgreSQL, by its clock: one holder at a time, renewed only by it, taken over once lapsed or given up', async () => {
    const db = await openPostgresRegistry({ url: (await registry.env()).DATABASE_URL! });
    const store = new PostgresLeaseStore(db);
    try {
      expect(await store.acquire('test:job', 'x', 60_000)).toBe(true);
      expect(await store.acquire('test:job', 'y', 60_000)).toBe(false);
      expect(await store.acquire('test:job', 'x', 60_000)).toBe(true); // its holder extends it
      expect(await store.holder('test:job')).toBe('x');
      expect(await store.renew('test:job', 'y', 60_000)).toBe(false);
      expect(await store.renew('test:job', 'x', 60_000)).toBe(true);
      await store.release('test:job', 'y'); // not y's to give up
      expect(await store.holder('test:job')).toBe('x');
      await store.release('test:job', 'x');
      expect(await store.holder('test:job')).toBeUndefined();
      expect(await store.acquire('test:job', 'y', 200)).toBe(true);
      // y stops renewing: once its time to live is over x takes it, and y can no longer renew
      await eventually(async () => (await store.holder('test:job')) === undefined || undefined, 10_000, 'the lease to lapse');
      expect(await store.acquire('test:job', 'x', 60_000)).toBe(true);
      expect(await store.renew('test:job', 'y', 60_000)).toBe(false);
    } finally {
      await db.close();
    }
  });

  it('without Redis the two hubs share their run-once leases through PostgreSQL: one holder each; when it stops, the other takes over', async () => {
    const healthOf = async (hub: TestHub) => ((await (await hub.api('/api/v1/health')).json()) as Health).components.cluster?.detail ?? '';
    const holds = async (hub: TestHub) => (await healthOf(hub)).includes('lighting:dispatch');
    expect(await healthOf(a)).toContain('leases in PostgreSQL');
    const holder = await eventually(async () => ((await holds(a)) ? a : (await holds(b)) ? b : undefined), 30_000, 'a holder of the dispatch lease');
    const other = holder === a ? b : a;
    expect(await holds(other)).toBe(false);
    await holder.stop();
    stopped.add(holder);
    await eventually(async () => (await holds(other)) || undefined, 30_000, 'the other hub to take the dispatch lease');
  }, 60_000);
});
