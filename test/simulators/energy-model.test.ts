import { describe, expect, it } from 'vitest';
import { EnergyReadingPayload } from '../../services/contracts/index.ts';
import { buildingTypeFor, EnergyMeterModel, meterSpecFor, meterUnitFor } from '../../simulators/city/energy-model.ts';
import { kyivInstant } from '../../simulators/city/kyiv-time.ts';

const HOUR = 3_600_000;
const day = (iso: string) => Math.floor(Date.parse(iso) / 86_400_000);
/** UTC instant of a local (Kyiv) wall-clock hour on a date. */
const local = (date: string, hour: number) => kyivInstant(day(date), hour * 60);

function meter(id: string, buildingId: string, name?: string): EnergyMeterModel {
  return new EnergyMeterModel(meterSpecFor({ id, buildingId, name }, 1));
}

/** Consumption over local hours [from, to) of a date. */
function used(m: EnergyMeterModel, date: string, from: number, to: number): number {
  return m.value(local(date, to)) - m.value(local(date, from));
}

describe('energy meter model', () => {
  it('reads unit and building type from the demo registration', () => {
    expect(meterUnitFor({ id: 'demo-el-001' })).toBe('kWh');
    expect(meterUnitFor({ id: 'demo-heat-001' })).toBe('Gcal');
    expect(meterUnitFor({ id: 'demo-water-001' })).toBe('m3');
    expect(meterUnitFor({ id: 'm1', name: 'Школа №3: теплова енергія' })).toBe('Gcal');
    expect(buildingTypeFor({ buildingId: 'school-03' })).toBe('school');
    expect(buildingTypeFor({ buildingId: 'anything' })).toBe('office');
  });

  it('never runs the register backwards, across both DST changes and for every unit', () => {
    for (const m of [meter('demo-el-001', 'school-01'), meter('demo-heat-001', 'hospital-01'), meter('demo-water-001', 'kindergarten-01')]) {
      for (const from of [Date.parse('2025-03-27T00:00:00Z'), Date.parse('2025-10-23T00:00:00Z')]) {
        let last = -Infinity;
        let backwards = 0;
        for (let t = from; t < from + 7 * 86_400_000; t += 15 * 60_000) {
          const r = m.reading(t);
          if (r.value < last) backwards++;
          last = r.value;
        }
        expect(backwards).toBe(0);
      }
    }
  });

  it('follows a school day: busy 8–17 on weekdays, low at night and at weekends', () => {
    const school = meter('demo-el-010', 'school-02');
    // 2025-11-12 is a Wednesday, 2025-11-16 a Sunday.
    const lessons = used(school, '2025-11-12', 9, 15) / 6;
    const night = used(school, '2025-11-12', 1, 5) / 4;
    const sunday = used(school, '2025-11-16', 9, 15) / 6;
    expect(lessons / night).toBeGreaterThan(4);
    expect(lessons / sunday).toBeGreaterThan(4);
    expect(night).toBeGreaterThan(0);
    const weekday = school.value(local('2025-11-13', 0)) - school.value(local('2025-11-12', 0));
    const weekend = school.value(local('2025-11-17', 0)) - school.value(local('2025-11-16', 0));
    expect(weekday / weekend).toBeGreaterThan(2);
  });

  it('keeps an office busy 9–18 on weekdays and a hospital busy around the clock', () => {
    const office = meter('demo-el-020', 'office-01');
    expect(used(office, '2025-11-12', 10, 12) / used(office, '2025-11-12', 20, 22)).toBeGreaterThan(3);
    expect(used(office, '2025-11-12', 10, 12) / used(office, '2025-11-15', 10, 12)).toBeGreaterThan(4);
    const hospital = meter('demo-el-030', 'hospital-01');
    const flat = used(hospital, '2025-11-12', 10, 12) / used(hospital, '2025-11-12', 2, 4);
    expect(flat).toBeGreaterThan(1);
    expect(flat).toBeLessThan(2);
    expect(used(hospital, '2025-11-16', 0, 24) / used(hospital, '2025-11-12', 0, 24)).toBeGreaterThan(0.75);
  });

  it('heats in winter, only makes hot water in summer', () => {
    const heat = meter('demo-heat-002', 'kindergarten-02');
    const january = heat.value(local('2025-01-20', 0)) - heat.value(local('2025-01-13', 0));
    const july = heat.value(local('2025-07-21', 0)) - heat.value(local('2025-07-14', 0));
    expect(january / july).toBeGreaterThan(5);
    expect(july).toBeGreaterThan(0);
  });

  it('reports power in line with the register', () => {
    for (const m of [meter('demo-el-002', 'clinic-01'), meter('demo-heat-003', 'school-04')]) {
      const t = local('2025-11-12', 10) + 10 * 60_000;
      const perHour = (m.value(t + 30 * 60_000) - m.value(t)) * 2;
      const watts = m.spec.unit === 'kWh' ? perHour * 1000 : perHour * 1163 * 1000;
      const p = m.reading(t).powerW!;
      expect(p / watts).toBeGreaterThan(0.94);
      expect(p / watts).toBeLessThan(1.06);
    }
    expect(meter('demo-water-002', 'school-01').reading(local('2025-11-12', 10)).powerW).toBeUndefined();
  });

  it('is deterministic and continues the same register after a restart', () => {
    const a = meter('demo-el-003', 'school-05');
    const t = Date.parse('2026-11-26T10:00:00Z');
    for (let x = t - 86_400_000; x < t; x += HOUR) a.value(x);
    const b = meter('demo-el-003', 'school-05');
    expect(b.reading(t)).toEqual(a.reading(t));
    expect(meter('demo-el-004', 'school-05').reading(t).value).not.toBe(a.reading(t).value);
  });

  it('publishes readings the contract accepts', () => {
    for (const m of [meter('demo-el-005', 'culture-01'), meter('demo-heat-005', 'office-02'), meter('demo-water-005', 'hospital-02')]) {
      for (let t = Date.parse('2026-11-20T00:00:00Z'); t < Date.parse('2026-11-27T00:00:00Z'); t += 3 * HOUR) {
        const r = m.reading(t);
        const parsed = EnergyReadingPayload.safeParse(r);
        expect(parsed.success, JSON.stringify(r)).toBe(true);
        expect(r.unit).toBe(m.spec.unit);
      }
    }
  });
});
