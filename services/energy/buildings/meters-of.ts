import type { Device } from '../../contracts/devices.ts';
import type { DomainContext } from '../../platform/domain-module.ts';

/**
 * The energy meters of every building from one listing of the registry, for a request that
 * asks about many buildings (the city's report, the ranking, open data): listing and sorting a
 * thousand devices once per building made the city's monthly report take seconds.
 */
export function metersByBuilding(devices: DomainContext['devices']): (buildingId: string) => Device[] {
  const byBuilding = new Map<string, Device[]>();
  for (const d of devices.list({ kind: 'energy-meter' })) {
    if (!d.buildingId) continue;
    const list = byBuilding.get(d.buildingId);
    if (list) list.push(d);
    else byBuilding.set(d.buildingId, [d]);
  }
  return (buildingId) => byBuilding.get(buildingId) ?? [];
}
