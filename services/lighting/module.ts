import { namespaces, LIVE_MIN_INTERVAL_MS, type ControllerState, type LightingState } from '../contracts/index.ts';
import type { Domain, DomainContext, DomainModule, Migration } from '../platform/domain-module.ts';
import type { HistoryStore } from '../store/history-store.ts';
import { CommandAcks } from './command-acks.ts';
import { LiveControllers } from './live-controllers.ts';
import { lightingRoutes } from './routes.ts';

const MIGRATIONS: readonly Migration[] = [
  {
    id: 'lighting:1',
    sql: `CREATE TABLE lighting_command_acks (
            cmd_id TEXT NOT NULL,
            controller_id TEXT NOT NULL,
            ts TEXT NOT NULL,
            status TEXT NOT NULL,
            reason TEXT,
            received_at TEXT NOT NULL,
            PRIMARY KEY (controller_id, cmd_id)
          );`,
  },
];

/** Street lighting: cabinets' live state, command acknowledgements. */
export function createLightingModule(ctx: DomainContext): DomainModule {
  const controllers = new LiveControllers(ctx.now);
  const acks = new CommandAcks(ctx.db);
  return {
    name: 'lighting',
    measurements: [{ name: 'lighting_state', tags: ['group'] }],
    onAccepted(message, device, receivedMs) {
      if (message.channel === 'lighting-state') controllers.apply(device, message.payload, receivedMs);
    },
    keepEvent(message, device, receivedMs) {
      if (message.channel !== 'lighting-cmd-ack') return false;
      acks.keep(device.id, message.payload, receivedMs);
      return true;
    },
    routes: lightingRoutes({ controllers, acks, auth: ctx.auth }),
    realtime: [
      {
        namespace: namespaces.lighting,
        roles: ['lighting'],
        roomPrefixes: ['group'],
        snapshot: () => controllers.byGroup(),
        tick: (sweep) => [{ event: 'controllers', items: controllers.takeChanges(LIVE_MIN_INTERVAL_MS, sweep), roomsOf: (c) => roomsOfController(c as ControllerState) }],
      },
    ],
    async seed(store: HistoryStore) {
      for (const p of await store.latest('lighting_state')) {
        const device = ctx.devices.get(p.tags.device ?? '');
        if (!device || typeof p.fields.level !== 'number' || typeof p.fields.on !== 'boolean') continue;
        const f = p.fields;
        const state = {
          ts: p.ts, level: f.level, on: f.on,
          powerW: typeof f.powerW === 'number' ? f.powerW : undefined,
          voltageV: typeof f.voltageV === 'number' ? f.voltageV : undefined,
          energyKWh: typeof f.energyKWh === 'number' ? f.energyKWh : undefined,
          lamps: typeof f.lamps === 'string' ? (JSON.parse(f.lamps) as LightingState['lamps']) : undefined,
        } as LightingState;
        controllers.apply(device, state, p.ts);
      }
    },
    onDeviceRemoved(device) {
      controllers.delete(device.id);
    },
    health: () => ({ lighting: { status: 'ok', detail: `${controllers.size} cabinets live` } }),
  };
}

const roomsOfController = (c: ControllerState): string[] => (c.groupId ? [`group:${c.groupId}`] : []);

export const lightingDomain: Domain = { name: 'lighting', migrations: MIGRATIONS, create: createLightingModule };
