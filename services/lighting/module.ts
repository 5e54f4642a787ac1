import { namespaces, LIVE_MIN_INTERVAL_MS, type ControllerState, type Device, type LightingState } from '../contracts/index.ts';
import type { Domain, DomainContext, DomainModule } from '../platform/domain-module.ts';
import type { HistoryStore } from '../store/history-store.ts';
import { CommandAcks } from './command-acks.ts';
import { createDispatch, type DispatchOptions } from './dispatch/dispatch.ts';
import { LIGHTING_MIGRATIONS } from './dispatch/migrations.ts';
import { energyRoutes } from './energy/routes.ts';
import { LiveControllers } from './live-controllers.ts';
import { lightingRoutes } from './routes.ts';
import { zoneOf } from './schedule/local-time.ts';


export type LightingOptions = DispatchOptions;

/** Street lighting: cabinets' live state; groups, schedules, overrides and command delivery. */
export async function createLightingModule(ctx: DomainContext, options: LightingOptions = {}): Promise<DomainModule> {
  const controllers = new LiveControllers(ctx.now);
  const acks = new CommandAcks(ctx.tables);
  const dispatch = createDispatch(ctx, acks, options);
  await dispatch.ready;
  // Live state names the group the dispatch groups give a cabinet.
  const inGroup = (device: Device): Device => {
    const groupId = dispatch.groupOf(device);
    return groupId === device.groupId ? device : { ...device, groupId };
  };
  return {
    name: 'lighting',
    measurements: [{ name: 'lighting_state', tags: ['group'] }],
    onAccepted(message, device, receivedMs) {
      if (message.channel === 'lighting-state') controllers.apply(inGroup(device), message.payload, receivedMs);
      dispatch.heard(message, device, receivedMs);
    },
    keepEvent(message, device, receivedMs, from) {
      if (message.channel !== 'lighting-cmd-ack') return false;
      return dispatch.keepAck(device.id, message.payload, receivedMs, from);
    },
    routes: async (app) => {
      await app.register(lightingRoutes({ controllers, acks, auth: ctx.auth }));
      await app.register(dispatch.routes);
      await app.register(energyRoutes({
        auth: ctx.auth, store: ctx.store, devices: ctx.devices, zone: zoneOf(ctx.city.tz),
        members: (groupId) => dispatch.groups.get(groupId)?.controllerIds,
      }));
    },
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
          doorOpen: typeof f.doorOpen === 'boolean' ? f.doorOpen : undefined,
        } as LightingState;
        controllers.apply(inGroup(device), state, p.ts);
      }
    },
    onDeviceRemoved(device) {
      controllers.delete(device.id);
      dispatch.forget(device.id);
    },
    health: () => {
      const opcua = dispatch.fleet.health();
      return { lighting: { status: 'ok', detail: `${controllers.size} cabinets live` }, ...(opcua ? { 'lighting-opcua': opcua } : {}) };
    },
    async start() {
      dispatch.start();
    },
    close: () => dispatch.close(),
  };
}

const roomsOfController = (c: ControllerState): string[] => (c.groupId ? [`group:${c.groupId}`] : []);

/** The lighting domain with its scheduler's timing and retry policy set (tests shorten them). */
export const lightingDomainWith = (options: LightingOptions): Domain => ({ name: 'lighting', migrations: LIGHTING_MIGRATIONS, create: (ctx) => createLightingModule(ctx, options) });

export const lightingDomain: Domain = lightingDomainWith({});
