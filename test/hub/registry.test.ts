import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeviceCreate } from '../../services/contracts/index.ts';
import { Accounts } from '../../services/registry/accounts.ts';
import { AuditLog } from '../../services/registry/audit-log.ts';
import { DeviceConflictError, DeviceRegistry, type RemoteDeviceChange } from '../../services/registry/devices.ts';
import { openRegistry, type OpenedRegistry } from '../../services/registry/open-registry.ts';
import { eventually } from '../support/hub.ts';
import { REGISTRY_KINDS, testRegistry } from '../support/registries.ts';
import { makeTempDir } from '../support/temp-dir.ts';

const T0 = Date.parse('2026-03-29T00:30:00Z');

interface Instance {
  opened: OpenedRegistry;
  audit: AuditLog;
  devices: DeviceRegistry;
  accounts: Accounts;
  close(): Promise<void>;
}

async function instance(env: Record<string, string>, now: () => number = () => T0): Promise<Instance> {
  const dir = makeTempDir('registry');
  const opened = await openRegistry({ dataDir: dir.path, databaseUrl: env.DATABASE_URL });
  const audit = new AuditLog(opened.registry, now);
  const devices = await DeviceRegistry.open(opened.registry, audit, now);
  const accounts = await Accounts.open(opened.registry, audit, now);
  return {
    opened, audit, devices, accounts,
    async close() {
      await audit.flush();
      await opened.close();
      dir.remove();
    },
  };
}

const tracker = (id: string, imei: string): DeviceCreate => ({ id, kind: 'tracker', protocol: 'teltonika', imei, vehicleId: `V-${id}` });

// One contract for both adapters of the registry port (SQLite and PostgreSQL).
describe.each(REGISTRY_KINDS)('registry on %s', (kind) => {
  const registry = testRegistry(kind);
  afterAll(() => registry.stop());

  describe('one instance', () => {
    let r: Instance;
    beforeAll(async () => {
      r = await instance(await registry.env());
    });
    afterAll(() => r?.close());

    it('keeps a device through create, update and remove, each with its audit entry', async () => {
      const { device, secret } = await r.devices.create({ id: 'meter-1', kind: 'energy-meter', protocol: 'mqtt', buildingId: 'school-5', lat: 48.5079, lon: 32.2623, multiplier: 2.5 }, 'admin');
      expect(secret).toMatch(/^[A-Za-z0-9_-]{40,}$/);
      expect(device).toMatchObject({ id: 'meter-1', enabled: true, demo: false, lat: 48.5079, multiplier: 2.5, createdAt: '2026-03-29T00:30:00.000Z' });
      expect(await r.devices.authenticate('meter-1', secret!)).toMatchObject({ id: 'meter-1' });
      expect(await r.devices.authenticate('meter-1', 'wrong')).toBeUndefined();

      const updated = await r.devices.update('meter-1', { name: 'School No. 5', enabled: false }, 'admin');
      expect(updated?.device).toMatchObject({ name: 'School No. 5', enabled: false, lat: 48.5079 });
      expect(await r.devices.authenticate('meter-1', secret!)).toBeUndefined();
      expect(await r.devices.remove('meter-1', 'admin')).toBe(true);
      expect(await r.devices.remove('meter-1', 'admin')).toBe(false);
      expect(r.devices.get('meter-1')).toBeUndefined();

      const audit = await r.audit.recent(10);
      expect(audit.filter((a) => a.target === 'meter-1').map((a) => a.action)).toEqual(['device.delete', 'device.update', 'device.create']);
      expect(audit.every((a) => typeof a.id === 'number')).toBe(true);
      expect(JSON.stringify(audit)).not.toContain(secret);
    });

    it('reads what it wrote after a restart (the cache is loaded from the database)', async () => {
      await r.devices.create(tracker('trk-1', '356307042441013'), 'admin');
      const again = await DeviceRegistry.open(r.opened.registry, r.audit, () => T0);
      expect(again.findByLoginId('teltonika', '356307042441013')).toMatchObject({ id: 'trk-1', vehicleId: 'V-trk-1' });
    });

    it('refuses a second id or login id, also one its cache did not know of (another instance wrote it)', async () => {
      await expect(r.devices.create(tracker('trk-1', '356307042441021'), 'admin')).rejects.toMatchObject({ field: 'id' });
      await expect(r.devices.create(tracker('trk-2', '356307042441013'), 'admin')).rejects.toMatchObject({ field: 'imei' });
      // Written behind the cache's back, as another instance would before its notice arrives.
      await r.opened.registry.query("INSERT INTO devices (id, kind, protocol, imei, created_at, updated_at) VALUES ('trk-9', 'tracker', 'teltonika', '356307042441039', 'x', 'x')");
      const sameId = await r.devices.create(tracker('trk-9', '356307042441047'), 'admin').catch((e: unknown) => e);
      expect(sameId).toBeInstanceOf(DeviceConflictError);
      expect(sameId).toMatchObject({ field: 'id' });
      const sameImei = await r.devices.create(tracker('trk-10', '356307042441039'), 'admin').catch((e: unknown) => e);
      expect(sameImei).toMatchObject({ field: 'imei', message: expect.stringMatching(/356307042441039 is already registered/) });
      expect(r.devices.get('trk-10')).toBeUndefined();
    });

    it('a device removed behind the cache’s back is not brought back by an update', async () => {
      await r.devices.create(tracker('trk-gone', '356307042441062'), 'admin');
      await r.devices.create(tracker('trk-gone-2', '356307042441070'), 'admin');
      await r.opened.registry.query("DELETE FROM devices WHERE id IN ('trk-gone', 'trk-gone-2')");
      expect(await r.devices.update('trk-gone', { name: 'renamed' }, 'admin')).toBeUndefined();
      expect(r.devices.get('trk-gone')).toBeUndefined();
      expect(await r.devices.remove('trk-gone-2', 'admin')).toBe(false);
      expect((await r.opened.registry.query("SELECT id FROM devices WHERE id LIKE 'trk-gone%'")).rows).toEqual([]);
    });

    it('rolls a failed transaction back, audit entry and all', async () => {
      const failed = r.opened.registry.transaction(async (tx) => {
        await r.audit.recordIn(tx, 'admin', 'test.rollback', 'x');
        await tx.query('INSERT INTO users (username) VALUES ($1)', ['no-password']);
      });
      await expect(failed).rejects.toThrow();
      expect((await r.audit.recent(50)).some((a) => a.action === 'test.rollback')).toBe(false);
    });

    it('issues, checks and revokes tokens; a deleted user’s sessions end', async () => {
      const token = await r.accounts.createToken('stop display 12', ['display'], 'admin');
      expect(r.accounts.authenticateToken(token.token)).toEqual({ name: 'token:stop display 12', roles: ['display'] });
      expect((await r.accounts.listTokens()).map((t) => t.name)).toContain('stop display 12');
      expect(await r.accounts.revokeToken(token.id, 'admin')).toBe(true);
      expect(r.accounts.authenticateToken(token.token)).toBeUndefined();

      await r.accounts.createUser('olena', 'correct horse battery', ['dispatcher'], 'admin');
      expect(await r.accounts.hasUser('olena')).toBe(true);
      expect(await r.accounts.login('olena', 'wrong password!!', 60_000)).toBeUndefined();
      const session = await r.accounts.login('olena', 'correct horse battery', 60_000);
      expect(r.accounts.authenticateToken(session!.token)).toEqual({ name: 'user:olena', roles: ['dispatcher'] });
      expect(await r.accounts.deleteUser('olena', 'admin')).toBe(true);
      expect(r.accounts.authenticateToken(session!.token)).toBeUndefined();
    });

    it('replaces a service account’s secret (upsert on both dialects)', async () => {
      const first = await r.accounts.createServiceAccount('gw-edge', 'gateway', 'admin');
      const second = await r.accounts.createServiceAccount('gw-edge', 'observer', 'admin');
      expect(await r.accounts.authenticateService('gw-edge', first)).toBeUndefined();
      expect(await r.accounts.authenticateService('gw-edge', second)).toBe('observer');
    });

    it('an entry recorded without waiting is there for the next read', async () => {
      r.audit.record('lighting', 'lighting.group.put', 'g-1', { name: 'Центр' });
      expect((await r.audit.recent(1))[0]).toMatchObject({ action: 'lighting.group.put', target: 'g-1', detail: '{"name":"Центр"}' });
    });
  });

  if (kind === 'postgres') {
    describe('two instances on one database', () => {
      let a: Instance;
      let b: Instance;
      const changesOnB: RemoteDeviceChange[] = [];
      let tokenChangesOnB = 0;
      beforeAll(async () => {
        const env = await registry.env();
        // At once: the migrations take turns under their advisory lock.
        [a, b] = await Promise.all([instance(env), instance(env)]);
        b.devices.onRemoteChange((c) => changesOnB.push(c));
        b.accounts.onTokensChanged(() => tokenChangesOnB++);
      });
      afterAll(async () => {
        await a?.close();
        await b?.close();
      });

      it('a device registered, changed and removed on A is seen so on B', async () => {
        const { secret } = await a.devices.create({ id: 'lamp-1', kind: 'lighting-controller', protocol: 'mqtt', groupId: 'centre' }, 'admin');
        await eventually(async () => b.devices.get('lamp-1'), 10_000, 'the device on B');
        expect(await b.devices.authenticate('lamp-1', secret!)).toMatchObject({ id: 'lamp-1', groupId: 'centre' });

        const rotated = await a.devices.update('lamp-1', { rotateSecret: true }, 'admin');
        await eventually(async () => (await b.devices.authenticate('lamp-1', rotated!.secret!)) !== undefined, 10_000, 'the new secret on B');
        expect(await b.devices.authenticate('lamp-1', secret!)).toBeUndefined();

        await a.devices.remove('lamp-1', 'admin');
        await eventually(async () => b.devices.get('lamp-1') === undefined, 10_000, 'the removal on B');
        expect(changesOnB.map((c) => [c.before?.id ?? null, c.after?.id ?? null, c.credentialsChanged])).toEqual([
          [null, 'lamp-1', true],
          ['lamp-1', 'lamp-1', true],
          ['lamp-1', null, true],
        ]);
      });

      it('a token issued on A opens B; revoked on A, B refuses it and tells its sessions', async () => {
        const token = await a.accounts.createToken('board-7', ['display'], 'admin');
        await eventually(async () => b.accounts.authenticateToken(token.token), 10_000, 'the token on B');
        const before = tokenChangesOnB;
        await a.accounts.revokeToken(token.id, 'admin');
        await eventually(async () => b.accounts.authenticateToken(token.token) === undefined, 10_000, 'the revocation on B');
        await b.accounts.settled();
        expect(tokenChangesOnB).toBeGreaterThan(before);
      });

      it('after its notification connection was cut, B catches up with what it missed', async () => {
        const server = await registry.server();
        const admin = await openRegistry({ dataDir: makeTempDir('registry-admin').path, databaseUrl: server.url });
        try {
          const cut = await admin.registry.query<{ n: number }>("SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE application_name = 'mistohub-listen'");
          expect(cut.rows[0]!.n).toBeGreaterThanOrEqual(2);
        } finally {
          await admin.close();
        }
        await a.devices.create(tracker('trk-missed', '356307042441054'), 'admin');
        await eventually(async () => b.devices.get('trk-missed'), 15_000, 'the device B missed');
      });
    });
  }
});
