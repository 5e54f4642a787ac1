import { topics, type Device, type DeviceMessage } from '../../contracts/index.ts';
import type { DomainContext } from '../../platform/domain-module.ts';
import { GroupCommit, type AckInput, type CommandAcks } from '../command-acks.ts';
import { CommandTable } from '../commands/command-table.ts';
import { Dispatcher, DEFAULT_RETRY, type RetryPolicy } from '../commands/dispatcher.ts';
import { FaultTable } from '../faults/fault-table.ts';
import { FaultMonitor } from '../faults/monitor.ts';
import { faultRoutes } from '../faults/routes.ts';
import { OpcuaTimeoutError, type OpcuaTimeouts } from '../opcua/cabinet-client.ts';
import { OpcuaFleet, opcuaRoutes } from '../opcua/fleet.ts';
import { modelRoutes, OpcuaModels } from '../opcua/models.ts';
import { opcuaTrustRoutes } from '../opcua/trust-routes.ts';
import { zoneOf } from '../schedule/local-time.ts';
import { Groups } from './groups.ts';
import { Overrides } from './overrides.ts';
import { dispatchRoutes } from './routes.ts';

export interface DispatchOptions {
  /** how often the scheduler compares desired and commanded state */
  tickMs?: number;
  retry?: Partial<RetryPolicy>;
  /** OPC UA reconnect backoff (default 1 s doubling to 30 s) */
  opcuaBackoff?: { initialMs: number; maxMs: number };
  /** OPC UA deadlines: one exchange with a cabinet (write, read back), connecting (default 10 s, 60 s) */
  opcuaTimeouts?: Partial<OpcuaTimeouts>;
}

/** A cabinet a command waits for gets its pass this soon after it speaks (those speaking meanwhile share it). */
const HEARD_PASS_DELAY_MS = 100;

/** The scheduler looks at every cabinet this often (and at once after a change or a returning cabinet). */
export const DISPATCH_TICK_MS = 2_000;

/**
 * Groups, schedules, overrides and command delivery: the dispatch half of the lighting module,
 * on the registry's tables (migration `lighting:2`).
 */
export function createDispatch(ctx: DomainContext, acks: CommandAcks, options: DispatchOptions = {}) {
  const zone = zoneOf(ctx.city.tz);
  const place = { lat: ctx.city.lat, lon: ctx.city.lon };
  const retry: RetryPolicy = { ...DEFAULT_RETRY, ...options.retry };
  // Commands are sent by one instance of a cluster: the holder of this lease (alone, always this one).
  const lease = ctx.lease('dispatch');
  // Groups, schedules and overrides are shared in a cluster (ctx.tables): another instance's change
  // reaches the scheduler here at once.
  const sharedError = (err: Error) => ctx.logger.warn({ err: err.message }, 'lighting shared tables');
  const remoteChange = () => {
    membership = groups.membership();
    void tick();
  };
  const groups = new Groups(ctx.tables, remoteChange, sharedError);
  const overrides = new Overrides(ctx.tables, ctx.now, remoteChange, sharedError);
  // Faults, their thresholds and ratings too: the holder's sweep reads them; another instance
  // acknowledges a fault or changes a threshold.
  const faults = new FaultTable(ctx.tables, () => void tick(), sharedError);
  // OPC UA models and bindings too: a change made elsewhere reconnects the fleet on the next pass, now.
  const models = new OpcuaModels(ctx.tables, () => void tick(), sharedError);
  const ready = Promise.all([groups.load(), overrides.load(), faults.load(), models.load()]).then(() => {
    membership = groups.membership();
  });
  // Commands and their state are shared too: made, sent and expired by the lease holder, answered
  // on whichever instance the cabinet's ack reached (services/lighting/commands/command-table.ts).
  const commands = new CommandTable(ctx.tables, sharedError);
  // The commands are read again whenever the lease changes hands (the holder before may have made
  // some): `leaseChanges` counts the changes, `commandsReadAt` is the count the last read saw.
  let leaseChanges = 0;
  let commandsReadAt = -1;
  const lastHeard = new Map<string, number>();
  const monitor = new FaultMonitor(faults, place);
  const fleet = new OpcuaFleet(ctx, models, { backoff: options.opcuaBackoff, autoTrust: ctx.settings.OPCUA_AUTO_TRUST, timeouts: options.opcuaTimeouts });
  let membership = new Map<string, string>();
  const log = ctx.logger;

  const dispatcher = new Dispatcher({
    commands, place, zone, retry,
    cabinets: () =>
      ctx.devices.list({ kind: 'lighting-controller' })
        .filter((d) => d.enabled && (d.protocol === 'mqtt' || fleet.cabinet(d.id) !== undefined))
        .map((d) => ({ id: d.id, groupId: membership.get(d.id) ?? d.groupId })),
    schedules: () => groups.schedules(),
    overrides: (now) => overrides.active(now),
    lastHeard: (id) => lastHeard.get(id),
    deliver: async (cmd, payload) => {
      const opcua = fleet.cabinet(cmd.controller_id);
      if (!opcua) return ctx.publish(topics.lightingCommand(cmd.controller_id), JSON.stringify(payload));
      // OPC UA: the write and the value read back are the acknowledgement.
      if (cmd.action === 'resume-schedule') {
        await commands.acknowledge(cmd.controller_id, cmd.id, 'applied', 'an OPC UA cabinet has no program of its own: it keeps its level', ctx.now());
        return;
      }
      try {
        const level = await opcua.setLevel(cmd.action === 'off' ? 0 : cmd.level ?? 0);
        await commands.acknowledge(cmd.controller_id, cmd.id, 'applied', `read back ${level}`, ctx.now());
      } catch (err) {
        const message = (err as Error).message;
        // A server's refusal is an answer; a lost connection or a missed deadline is not (the
        // command waits for the cabinet to be heard from again, as a silent MQTT cabinet's does).
        if (!(err instanceof OpcuaTimeoutError) && /Bad|reads back/.test(message) && !/BadConnection|BadSession|BadSecureChannel|BadCommunication|BadTimeout|BadRequestTimeout|not connected/.test(message)) {
          await commands.acknowledge(cmd.controller_id, cmd.id, 'rejected', message, ctx.now());
        } else throw err;
      }
    },
    onError: (err, cmd) => log.warn({ err: err.message, cmdId: cmd.id, controllerId: cmd.controller_id }, 'command not handed to the broker; retried'),
  });

  // One pass at a time; a kick during a pass asks for another right after it.
  let running: Promise<void> | null = null;
  let again = false;
  let closed = false;
  const tick = (): Promise<void> => {
    if (closed) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          fleet.reconcile();
          if (!lease.isHolder()) continue;
          if (commandsReadAt !== leaseChanges) {
            const seen = leaseChanges;
            await commands.load();
            commandsReadAt = seen;
          }
          const r = await dispatcher.tick(ctx.now());
          if (r.created || r.sent || r.expired) log.debug(r, 'lighting dispatch pass');
          const cabinets = ctx.devices.list({ kind: 'lighting-controller' }).filter((d) => d.enabled);
          const f = await monitor.sweep(cabinets, (id) => dispatcher.desired.get(id), ctx.now());
          if (f.raised || f.cleared) log.info(f, 'lighting faults changed');
        } catch (err) {
          log.error({ err }, 'lighting dispatch pass failed');
        }
      } while (again && !closed);
    })().finally(() => {
      running = null;
    });
    return running;
  };
  let timer: NodeJS.Timeout | undefined;
  let soon: NodeJS.Timeout | undefined;
  const passSoon = (): void => {
    soon ??= setTimeout(() => {
      soon = undefined;
      void tick();
    }, HEARD_PASS_DELAY_MS);
  };

  // Acks arriving together (a group command's 10,000) are kept in one transaction, each with its
  // command's new state: one commit (an fsync, or a round trip to PostgreSQL) for hundreds of PUBACKs.
  const ackCommits = new GroupCommit<AckInput>((list) => ctx.tables.transaction(async (tx) => {
    await acks.keepIn(tx, list);
    await commands.acknowledgeIn(tx, list.map(({ controllerId, ack, receivedMs }) => ({ controllerId, cmdId: ack.cmdId, status: ack.status, reason: ack.reason, receivedMs })));
  }));
  // With shared tables the instance that received an ack keeps it; another instance replaying it
  // (the peer feed) has nothing to write. Each instance's own SQLite file keeps every ack it hears.
  const acksShared = ctx.tables.dialect === 'postgres';

  return {
    groups, overrides, commands, dispatcher, faults, tick, fleet,
    /** settles once groups, schedules and overrides are in memory */
    ready,
    /** controllerId → groupId as the dispatch groups say (else the device's own `groupId`) */
    groupOf: (device: Device): string | null => membership.get(device.id) ?? device.groupId,
    routes: async (app: Parameters<ReturnType<typeof dispatchRoutes>>[0]) => {
      await app.register(dispatchRoutes({
        auth: ctx.auth, audit: ctx.audit, devices: ctx.devices, groups, overrides, commands, now: ctx.now, place, zone,
        changed: () => {
          membership = groups.membership();
          void tick();
        },
      }));
      await app.register(modelRoutes({ auth: ctx.auth, audit: ctx.audit, models, now: ctx.now }));
      await app.register(opcuaRoutes({ ctx, fleet, models, changed: () => void tick() }));
      await app.register(opcuaTrustRoutes({ ctx, fleet }));
      await app.register(faultRoutes({
        auth: ctx.auth, audit: ctx.audit, devices: ctx.devices, faults, now: ctx.now,
        changed: () => void tick(),
      }));
    },
    /** Any message from a cabinet says it is reachable; one a command waits for gets it at once. */
    heard(message: DeviceMessage, device: Device, receivedMs: number): void {
      if (device.kind !== 'lighting-controller') return;
      if (message.channel === 'lighting-state') monitor.observe(device, message.payload, receivedMs);
      lastHeard.set(device.id, receivedMs);
      // The ack is committed before listeners hear of it: one that settles the cabinet's newest
      // command leaves nothing waiting for it.
      if (message.channel === 'lighting-cmd-ack') dispatcher.settled(device.id, message.payload.cmdId);
      // Only a cabinet a command waits for needs a pass now; any other message (a state report,
      // an ack) waits for the regular pass: at 10,000 cabinets a pass per message would keep
      // the dispatcher busy all the time. Cabinets coming back together share one pass.
      if (dispatcher.waitsFor(device.id)) passSoon();
    },
    /**
     * `cmd/ack`: kept with the command's new state in a transaction shared with the other acks
     * that came meanwhile; the promise resolves once it is committed (then the PUBACK goes). One a
     * peer replays is already kept when the tables are shared (true: nothing to wait for).
     */
    keepAck(controllerId: string, ack: AckInput['ack'], receivedMs: number, from: 'device' | 'peer'): Promise<void> | true {
      if (from === 'peer' && acksShared) return true;
      return ackCommits.add({ controllerId, ack, receivedMs });
    },
    ackCommits,
    /** A cabinet was deleted: its faults are cleared, its silence is no fault. */
    forget(controllerId: string): void {
      lastHeard.delete(controllerId);
      monitor.forget(controllerId, ctx.now()).catch((err: Error) => log.warn({ err: err.message, controllerId }, 'clearing a deleted cabinet\'s faults failed'));
    },
    start(): void {
      // Taking over the lease (its holder died) means driving the cabinets at once, from the
      // commands as the table has them now (read again whenever the lease changes hands).
      lease.onChange((holder) => {
        leaseChanges++;
        if (holder) void tick();
      });
      timer = setInterval(() => void tick(), options.tickMs ?? DISPATCH_TICK_MS);
      timer.unref();
      void tick();
    },
    async close(): Promise<void> {
      closed = true;
      if (timer) clearInterval(timer);
      if (soon) clearTimeout(soon);
      await running;
      await ackCommits.drain();
      commands.close();
      groups.close();
      overrides.close();
      faults.close();
      models.close();
      await fleet.close();
    },
  };
}
