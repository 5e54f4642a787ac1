import { describe, expect, it } from 'vitest';
import { ENERGY_MIGRATIONS } from '../../services/energy/migrations.ts';
import { ConsumptionRollups } from '../../services/energy/rollups/consumption-rollups.ts';
import { RollupQueue } from '../../services/energy/rollups/rollup-queue.ts';
import { localMidnight } from '../../services/energy/consumption/local-time.ts';
import { applyDomainMigrations, openRegistryDb } from '../../services/registry/database.ts';
import { makeTempDir } from '../support/temp-dir.ts';

const TZ = 'Europe/Kyiv';

describe('RollupQueue', () => {
  it('rolls up a flush of many meters in one transaction, a failing meter rolled back alone', () => {
    const dir = makeTempDir('rollup-queue');
    const db = openRegistryDb(dir.path);
    try {
      applyDomainMigrations(db, ENERGY_MIGRATIONS, () => 0);
      const rollups = new ConsumptionRollups(db, TZ);
      const errors: string[] = [];
      const queue = new RollupQueue(rollups, () => ({ unit: 'kWh', multiplier: 1 }), (err, meterId) => errors.push(`${meterId}: ${err.message}`), 60_000);
      const day = localMidnight('2026-03-29', TZ); // the spring-forward day: 23 hours
      // 100 readings a meter (more than one multi-row insert), every 15 minutes, 1 kWh each.
      for (const meter of ['A', 'B', 'C']) {
        for (let i = 0; i < 100; i++) queue.offer(meter, { ts: day + i * 900_000, value: 10 + i, unit: 'kWh' });
      }
      // B's last reading cannot be kept (NOT NULL value): its whole apply rolls back, A's and C's stay.
      queue.offer('B', { ts: day + 100 * 900_000, value: null as unknown as number, unit: 'kWh' });
      expect(queue.waiting).toBe(301);
      expect(queue.flush()).toBe(200);
      expect(queue.waiting).toBe(0);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^B: .*NOT NULL/);
      expect(rollups.hasReadings('B')).toBe(false);
      expect(rollups.days('B', day, day + 2 * 86_400_000)).toEqual([]);
      for (const meter of ['A', 'C']) {
        expect(rollups.lastReading(meter)).toBe(day + 99 * 900_000);
        const days = rollups.days(meter, day, day + 2 * 86_400_000);
        // 23 hours of the first day (92 steps), the rest (7 steps) on the next.
        expect(days.map((d) => Math.round(d.value * 1e6) / 1e6)).toEqual([92, 7]);
        expect(rollups.hours(meter, day, localMidnight('2026-03-30', TZ))).toHaveLength(23);
      }
      // A second flush of B alone, corrected, is kept.
      queue.offer('B', { ts: day, value: 5, unit: 'kWh' });
      queue.offer('B', { ts: day + 3_600_000, value: 9, unit: 'kWh' });
      expect(queue.flush()).toBe(2);
      expect(rollups.days('B', day, day + 86_400_000).map((d) => d.value)).toEqual([4]);
    } finally {
      db.close();
      dir.remove();
    }
  });
});
