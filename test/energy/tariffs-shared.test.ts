/**
 * Tariffs on the shared tables of a cluster: two instances (two connections to one real
 * PostgreSQL 15) writing overlapping tariffs of a resource at the same moment. The overlap check
 * reads the table and then writes; without taking turns both could pass it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENERGY_MIGRATIONS } from '../../services/energy/migrations.ts';
import { TariffOverlapError, TariffRepository } from '../../services/energy/tariffs/tariff-repository.ts';
import { openPostgresRegistry } from '../../services/registry/postgres-registry.ts';
import type { RegistryDb } from '../../services/registry/registry-db.ts';
import { applySharedMigrations } from '../../services/registry/shared-migrations.ts';
import { testRegistry } from '../support/registries.ts';

describe('tariffs written on two instances at once (PostgreSQL)', () => {
  const registry = testRegistry('postgres');
  const dbs: RegistryDb[] = [];
  let a: TariffRepository;
  let b: TariffRepository;

  beforeAll(async () => {
    const url = (await registry.env()).DATABASE_URL!;
    for (let i = 0; i < 2; i++) dbs.push(await openPostgresRegistry({ url }));
    await applySharedMigrations(dbs[0]!, ENERGY_MIGRATIONS, Date.now);
    a = new TariffRepository(dbs[0]!, Date.now);
    b = new TariffRepository(dbs[1]!, Date.now);
    await Promise.all([a.load(), b.load()]);
  }, 60_000);

  afterAll(async () => {
    a?.close();
    b?.close();
    for (const db of dbs) await db.close();
    await registry.stop();
  }, 30_000);

  it('of two overlapping tariffs put at the same moment, one is stored and the other refused, every time', async () => {
    const rounds = 12;
    for (let i = 0; i < rounds; i++) {
      const year = 2030 + i;
      const outcomes = await Promise.allSettled([
        a.put(`a-${year}`, { resource: 'electricity', unit: 'kWh', priceUAH: 4, validFrom: `${year}-01-01`, validTo: `${year}-07-01` }, 'manager-a'),
        b.put(`b-${year}`, { resource: 'electricity', unit: 'kWh', priceUAH: 5, validFrom: `${year}-03-01`, validTo: `${year}-09-01` }, 'manager-b'),
      ]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
      expect(refused.reason).toBeInstanceOf(TariffOverlapError);
    }
    const { rows } = await dbs[0]!.query<{ n: number }>("SELECT count(*)::int AS n FROM energy_tariffs WHERE resource = 'electricity'");
    expect(rows[0]!.n).toBe(rounds);
    // another resource's tariff over the same dates is no overlap
    await expect(b.put('heat-2030', { resource: 'heat', unit: 'Gcal', priceUAH: 3000, validFrom: '2030-01-01' }, 'manager-b')).resolves.toMatchObject({ created: true });
  });
});
