import { describe, expect, it } from 'vitest';
import { BuildingPut, TariffPut } from '../../services/contracts/energy.ts';
import { overlappingTariff } from '../../services/energy/tariffs/pricing.ts';
import { demoCity } from '../../simulators/city/demo-city.ts';
import { DEMO_TARIFFS, demoBuildings, demoMeterRegistration } from '../../simulators/city/demo-energy.ts';

describe("the demo city's energy registration", () => {
  const meters = demoCity({}).filter((d) => d.kind === 'energy-meter');

  it('gives every demo meter a resource and a unit that suit each other', () => {
    expect(demoMeterRegistration({ id: 'demo-el-001' })).toEqual({ resource: 'electricity', unit: 'kWh' });
    expect(demoMeterRegistration({ id: 'demo-heat-001' })).toEqual({ resource: 'heat', unit: 'Gcal' });
    expect(demoMeterRegistration({ id: 'demo-water-001' })).toEqual({ resource: 'water', unit: 'm3' });
    expect(new Set(meters.map((m) => demoMeterRegistration(m).resource))).toEqual(new Set(['electricity', 'heat', 'water']));
  });

  it('derives one valid building per buildingId, named after it, with a plausible area', () => {
    const buildings = demoBuildings(meters);
    expect(buildings.size).toBe(new Set(meters.map((m) => m.buildingId)).size);
    for (const [id, b] of buildings) {
      expect(BuildingPut.safeParse(b).success, id).toBe(true);
      expect(b.name).not.toContain(':');
      expect(b.areaM2).toBeGreaterThanOrEqual(800);
    }
    const school = [...buildings].find(([id]) => id.startsWith('school-'))!;
    expect(school[1].type).toBe('school');
    expect([...buildings].find(([id]) => id.startsWith('clinic-'))?.[1].type).toBe('hospital');
  });

  it('prices every resource the demo meters measure with valid tariffs that do not overlap', () => {
    const terms = Object.entries(DEMO_TARIFFS).map(([tariffId, t]) => {
      expect(TariffPut.safeParse(t).success, tariffId).toBe(true);
      return { tariffId, ...t, validTo: t.validTo ?? null };
    });
    for (const t of terms) expect(overlappingTariff(terms, t), t.tariffId).toBeUndefined();
    for (const m of meters) {
      const { resource, unit } = demoMeterRegistration(m);
      expect(terms.some((t) => t.resource === resource && t.unit === unit && t.validTo === null), m.id).toBe(true);
    }
  });
});
