import type { FastifyPluginAsync } from 'fastify';
import { namespaces, LIVE_MIN_INTERVAL_MS, EnergyUnit, type EnergyReading, type MeterState } from '../contracts/index.ts';
import type { Domain, DomainContext, DomainModule } from '../platform/domain-module.ts';
import type { HistoryStore } from '../store/history-store.ts';
import { createEnergyAccounting, type EnergyAccounting, type EnergyOptions } from './accounting.ts';
import { LiveMeters } from './live-meters.ts';
import { ENERGY_MIGRATIONS } from './migrations.ts';
import { energyRoutes } from './routes.ts';

export interface EnergyModule extends DomainModule, Pick<EnergyAccounting, 'flush' | 'rebuildFromStore' | 'rebuilt' | 'ready'> {}

/**
 * Energy of public buildings: meters' latest registers (live), and buildings with their
 * consumption by local hour, day and month, kept as readings arrive (accounting.ts).
 */
export function createEnergyModule(ctx: DomainContext, options: EnergyOptions = {}): EnergyModule {
  const meters = new LiveMeters(ctx.now);
  const accounting = createEnergyAccounting(ctx, options);
  const routes: FastifyPluginAsync = async (app) => {
    await app.register(energyRoutes({ meters, auth: ctx.auth }));
    await app.register(accounting.routes!);
  };
  return {
    name: 'energy',
    measurements: [{ name: 'energy_reading', tags: ['building'] }],
    onAccepted(message, device, receivedMs) {
      if (message.channel !== 'energy-reading') return;
      meters.apply(device, message.payload, receivedMs);
      accounting.onAccepted!(message, device, receivedMs);
    },
    keepEvent: (message, device, receivedMs, from) => accounting.keepEvent!(message, device, receivedMs, from),
    routes,
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
    health: () => ({ energy: { status: 'ok', detail: `${meters.size} meters live, ${accounting.waiting()} readings waiting to be rolled up` } }),
    start: () => accounting.start!(),
    close: () => accounting.close!(),
    flush: accounting.flush,
    rebuildFromStore: accounting.rebuildFromStore,
    rebuilt: accounting.rebuilt,
    ready: accounting.ready,
  };
}

const roomsOfMeter = (m: MeterState): string[] => (m.buildingId ? [`building:${m.buildingId}`] : []);

export const energyDomain: Domain = { name: 'energy', migrations: ENERGY_MIGRATIONS, create: async (ctx) => {
  const module = createEnergyModule(ctx);
  await module.ready;
  return module;
} };
