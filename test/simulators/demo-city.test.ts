import { describe, expect, it } from 'vitest';
import { decodeDeviceMessage, DeviceCreate, topics } from '../../services/contracts/index.ts';
import { CITY_BOUNDS, demoCity, DISTRICTS } from '../../simulators/city/demo-city.ts';
import { meterUnitFor } from '../../simulators/city/energy-model.ts';
import { buildCityModels } from '../../simulators/city/models.ts';
import { routeById } from '../../simulators/city/routes.ts';

function luhnOk(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

describe('demoCity', () => {
  const devices = demoCity();
  const trackers = devices.filter((d) => d.kind === 'tracker');
  const controllers = devices.filter((d) => d.kind === 'lighting-controller');
  const meters = devices.filter((d) => d.kind === 'energy-meter');

  it('has the default numbers of devices, each a valid registration labelled demo', () => {
    expect(trackers).toHaveLength(64);
    expect(controllers).toHaveLength(30);
    expect(meters).toHaveLength(200);
    const refused = devices.map((d) => [d.id, DeviceCreate.safeParse(d)] as const).filter(([, r]) => !r.success);
    expect(refused.map(([id, r]) => `${id}: ${r.error?.message}`)).toEqual([]);
    expect(devices.every((d) => d.demo === true)).toBe(true);
    expect(devices.every((d) => d.protocol === 'mqtt')).toBe(true);
  });

  it('gives unique ids, IMEIs and vehicle ids', () => {
    expect(new Set(devices.map((d) => d.id)).size).toBe(devices.length);
    expect(new Set(trackers.map((d) => d.imei)).size).toBe(trackers.length);
    expect(new Set(trackers.map((d) => d.vehicleId)).size).toBe(trackers.length);
    for (const t of trackers) {
      expect(t.id).toMatch(/^demo-trk-\d{3}$/);
      expect(t.imei).toMatch(/^\d{15}$/);
      expect(luhnOk(t.imei!)).toBe(true);
      const route = routeById(t.routeId!);
      expect(route).toBeDefined();
      expect(t.vehicleId).toMatch(route!.kind === 'trolleybus' ? /^TB-2\d\d$/ : /^BUS-\d{3}$/);
    }
  });

  it('puts vehicles on every route, more on longer ones', () => {
    const perRoute = new Map<string, number>();
    for (const t of trackers) perRoute.set(t.routeId!, (perRoute.get(t.routeId!) ?? 0) + 1);
    expect(perRoute.size).toBeGreaterThanOrEqual(8);
    const longest = [...perRoute].sort((a, b) => routeById(b[0])!.lengthM - routeById(a[0])!.lengthM)[0]!;
    const shortest = [...perRoute].sort((a, b) => routeById(a[0])!.lengthM - routeById(b[0])!.lengthM)[0]!;
    expect(longest[1]).toBeGreaterThan(shortest[1]);
  });

  it('places cabinets and buildings inside the city, cabinets grouped by district', () => {
    const groups = new Set<string>(DISTRICTS.map((d) => d.id));
    for (const d of [...controllers, ...meters]) {
      expect(d.lat!).toBeGreaterThan(CITY_BOUNDS.south);
      expect(d.lat!).toBeLessThan(CITY_BOUNDS.north);
      expect(d.lon!).toBeGreaterThan(CITY_BOUNDS.west);
      expect(d.lon!).toBeLessThan(CITY_BOUNDS.east);
    }
    for (const c of controllers) expect(groups.has(c.groupId!)).toBe(true);
    expect(new Set(controllers.map((c) => c.groupId)).size).toBeGreaterThanOrEqual(5);
  });

  it('meters about 60 public buildings, mostly electricity with some heat and water', () => {
    const buildings = new Set(meters.map((m) => m.buildingId));
    expect(buildings.size).toBeGreaterThanOrEqual(50);
    expect(buildings.size).toBeLessThanOrEqual(70);
    const units = meters.map((m) => meterUnitFor(m));
    const count = (u: string) => units.filter((x) => x === u).length;
    expect(count('kWh')).toBeGreaterThan(meters.length / 2);
    expect(count('Gcal')).toBeGreaterThan(10);
    expect(count('m3')).toBeGreaterThan(10);
    const types = new Set([...buildings].map((b) => b!.split('-')[0]));
    for (const t of ['school', 'kindergarten', 'hospital', 'office']) expect(types.has(t)).toBe(true);
    // A building's meters share its place.
    for (const b of buildings) {
      const at = new Set(meters.filter((m) => m.buildingId === b).map((m) => `${m.lat},${m.lon}`));
      expect(at.size).toBe(1);
    }
  });

  it('is deterministic, and the seed changes the details but not the fleet', () => {
    expect(demoCity()).toEqual(devices);
    const other = demoCity({ seed: 7 });
    const fleet = (list: DeviceCreate[]) => list.filter((d) => d.kind !== 'energy-meter').map((d) => d.id);
    expect(fleet(other)).toEqual(fleet(devices));
    expect(other).toHaveLength(devices.length);
    expect(other.map((d) => d.imei)).not.toEqual(devices.map((d) => d.imei));
  });

  it('sizes to the options and hands some trackers to the gateways', () => {
    const small = demoCity({ vehicles: 12, controllers: 3, meters: 10, trackerProtocols: { teltonika: 2, 'wialon-ips': 1, gt06: 1 } });
    expect(small.filter((d) => d.kind === 'tracker')).toHaveLength(12);
    expect(small.filter((d) => d.kind === 'lighting-controller')).toHaveLength(3);
    expect(small.filter((d) => d.kind === 'energy-meter')).toHaveLength(10);
    const protocols = small.filter((d) => d.kind === 'tracker').map((d) => d.protocol);
    expect(protocols.filter((p) => p === 'teltonika')).toHaveLength(2);
    expect(protocols.filter((p) => p === 'wialon-ips')).toHaveLength(1);
    expect(protocols.filter((p) => p === 'gt06')).toHaveLength(1);
    expect(small.every((d) => DeviceCreate.safeParse(d).success)).toBe(true);
    expect(() => demoCity({ vehicles: 2, trackerProtocols: { teltonika: 3 } })).toThrow(/trackerProtocols/);
  });
});

describe('every payload of the demo city', () => {
  it('passes the hub decoder on its topic, all day long', () => {
    const devices = demoCity();
    const models = buildCityModels(devices, { faults: true });
    const start = Date.parse('2026-11-26T00:00:00Z');
    const failures: string[] = [];
    let checked = 0;
    // A day in 37-minute steps: hits day, evening, each dimming step and the early morning.
    for (let t = start; t < start + 86_400_000; t += 37 * 60_000) {
      for (const [id, entry] of models) {
        let topic: string;
        let payload: object | null;
        switch (entry.kind) {
          case 'tracker':
            topic = topics.position(id);
            payload = entry.model.position(t);
            break;
          case 'lighting-controller':
            topic = topics.lightingState(id);
            payload = entry.model.state(t);
            break;
          case 'energy-meter':
            topic = topics.energyReading(id);
            payload = entry.model.reading(t);
            break;
        }
        if (!payload) continue;
        checked++;
        const result = decodeDeviceMessage(topic, JSON.stringify(payload), t);
        if (!result.ok) failures.push(`${topic}: ${result.error.detail}`);
        else if (result.message.deviceId !== id || result.message.ts !== t) failures.push(`${topic}: decoded as ${result.message.deviceId} at ${result.message.ts}`);
      }
    }
    expect(failures.slice(0, 10)).toEqual([]);
    expect(checked).toBeGreaterThan(10_000);
  });
});
