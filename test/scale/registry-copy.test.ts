/**
 * A city moving from one hub (SQLite) to a cluster (PostgreSQL): `npm run registry:to-postgres`
 * copies the registry and the domains' shared tables, and a hub on DATABASE_URL carries on with
 * them — devices log in with the secrets they had, operators' groups, overrides, buildings and
 * tariffs are there, the audit trail continues (docs/scale-out.md §6).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectCabinet } from '../lighting/cabinet-client.ts';
import { startTestHub, type TestHub } from '../support/hub.ts';
import { testRegistry } from '../support/registries.ts';
import { makeTempDir } from '../support/temp-dir.ts';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** The CLI as an operator runs it; resolves with its exit code and output. */
async function copyCli(env: Record<string, string>): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'services/hub/registry-to-postgres.ts'], { cwd: REPO, env: { ...process.env, ...env, LOG_LEVEL: 'warn' } });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('moving a one-hub city onto PostgreSQL (registry:to-postgres)', () => {
  const registry = testRegistry('postgres');
  const oldData = makeTempDir('hub-sqlite');
  let url = '';
  let secret = '';
  let overrideId = '';
  let after: TestHub | undefined;

  beforeAll(async () => {
    url = (await registry.env()).DATABASE_URL!;
    // The city on one hub, on SQLite.
    const before = await startTestHub({}, { dataDir: oldData.path });
    try {
      secret = (await before.register({ id: 'cab-1', kind: 'lighting-controller', protocol: 'mqtt' })).secret;
      await before.register({ id: 'trk-1', kind: 'tracker', protocol: 'mqtt', vehicleId: 'BUS-1', routeId: 'R1' });
      expect((await before.api('/api/v1/lighting/groups/centre', { method: 'PUT', json: { name: 'Центр', controllerIds: ['cab-1'] } })).status).toBe(200);
      const override = await before.api('/api/v1/lighting/overrides', { method: 'POST', json: { groupId: 'centre', level: 60, priority: 'operator', expiresAt: new Date(Date.now() + 3_600_000).toISOString() } });
      expect(override.status).toBe(201);
      overrideId = ((await override.json()) as { id: string }).id;
      expect((await before.api('/api/v1/energy/buildings/school-7', { method: 'PUT', json: { name: 'Школа № 7', type: 'school', areaM2: 4200 } })).status).toBe(201);
      expect((await before.api('/api/v1/energy/tariffs/el-2026', { method: 'PUT', json: { resource: 'electricity', unit: 'kWh', priceUAH: 4.32, validFrom: '2026-01-01' } })).status).toBe(201);
    } finally {
      await before.stop();
    }
  }, 120_000);

  afterAll(async () => {
    await after?.stop();
    await registry.stop();
    oldData.remove();
  }, 60_000);

  it('copies every row once, and a hub on PostgreSQL carries on with them', async () => {
    const copied = await copyCli({ HUB_DATA_DIR: oldData.path, DATABASE_URL: url });
    expect(copied.code).toBe(0);
    expect(copied.out).toMatch(/^devices\s+2 rows$/m);
    expect(copied.out).toMatch(/^lighting_overrides\s+1 rows$/m);
    expect(copied.out).toMatch(/^energy_tariffs\s+1 rows$/m);
    expect(copied.out).not.toContain(url); // the URL may carry a password

    after = await startTestHub({ DATABASE_URL: url });
    expect(await (await after.api('/api/v1/devices/trk-1')).json()).toMatchObject({ id: 'trk-1', vehicleId: 'BUS-1' });
    // The cabinet logs in to the new hub with the secret the old one gave it.
    const cabinet = await connectCabinet(after.mqttPort, 'cab-1', secret);
    await cabinet.close();
    expect(await (await after.api('/api/v1/lighting/groups/centre')).json()).toMatchObject({ name: 'Центр', controllerIds: ['cab-1'] });
    const overrides = (await (await after.api('/api/v1/lighting/overrides')).json()) as { id: string; level: number }[];
    expect(overrides).toEqual([expect.objectContaining({ id: overrideId, level: 60 })]);
    expect(await (await after.api('/api/v1/energy/buildings/school-7')).json()).toMatchObject({ name: 'Школа № 7', areaM2: 4200 });
    expect(await (await after.api('/api/v1/energy/tariffs/el-2026')).json()).toMatchObject({ priceUAH: 4.32 });
    // The audit trail goes on after the copied entries (its id sequence continues past them).
    await after.register({ id: 'trk-2', kind: 'tracker', protocol: 'mqtt', vehicleId: 'BUS-2', routeId: 'R1' });
    const audit = (await (await after.api('/api/v1/audit?limit=100')).json()) as { action: string; target: string | null }[];
    expect(audit.filter((e) => e.action === 'device.create').map((e) => e.target).sort()).toEqual(['cab-1', 'trk-1', 'trk-2']);
  }, 120_000);

  it('refuses, copying nothing, into a database that already holds rows', async () => {
    const again = await copyCli({ HUB_DATA_DIR: oldData.path, DATABASE_URL: url });
    expect(again.code).toBe(1);
    expect(again.out).toMatch(/nothing copied: PostgreSQL already holds rows in devices \(3 rows\)/);
  }, 60_000);
});
