import { namespaces, LIVE_MIN_INTERVAL_MS, EnergyUnit, type EnergyReading, type MeterState } from '../contracts/index.ts';
import type { Domain, DomainContext, DomainModule } from '../platform/domain-module.ts';
import type { HistoryStore } from '../store/history-store.ts';
import { LiveMeters } from './live-meters.ts';
import { energyRoutes } from './routes.ts';

/** Energy of public buildings: meters' latest registers. */
export function createEnergyModule(ctx: DomainContext): DomainModule {
  const meters = new LiveMeters(ctx.now);
  return {
    name: 'energy',
    measurements: [{ name: 'energy_reading', tags: ['building'] }],
    onAccepted(message, device, receivedMs) {
      if (message.channel === 'energy-reading') meters.apply(device, message.payload, receivedMs);
    },
    routes: energyRoutes({ meters, auth: ctx.auth }),
    realtime: [
      {
        namespace: namespaces.energy,
        roles: ['energy'],
        roomPrefixes: ['building'],
        snapshot: () => meters.byBuilding(),
        tick: (sweep) => [{ event: 'meters', items: meters.takeChanges(LIVE_MIN_INTERVAL_MS, sweep), roomsOf: (m) => roomsOfMeter(m as MeterState) }],
      },
    ],
    async seed(store: HistoryStore) {
      for (const p of await store.latest('energy_reading')) {
        const device = ctx.devices.get(p.tags.device ?? '');
        const unit = EnergyUnit.safeParse(p.fields.unit);
        if (!device || typeof p.fields.value !== 'number' || !unit.success) continue;
        const reading = { ts: p.ts, value: p.fields.value, unit: unit.data, powerW: typeof p.fields.powerW === 'number' ? p.fields.powerW : undefined } as EnergyReading;
        meters.apply(device, reading, p.ts);
      }
    },
    onDeviceRemoved(device) {
      meters.delete(device.id);
    },
    health: () => ({ energy: { status: 'ok', detail: `${meters.size} meters live` } }),
  };
}

const roomsOfMeter = (m: MeterState): string[] => (m.buildingId ? [`building:${m.buildingId}`] : []);

export const energyDomain: Domain = { name: 'energy', create: createEnergyModule };
