import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { topics, type Device } from '../contracts/index.ts';
import type { Logger } from '../observability/logger.ts';
import type { DeviceRegistry } from '../registry/devices.ts';

/**
 * Device logins and ACLs in Mosquitto 2's dynamic-security plugin, kept in step with the
 * registry (external broker mode, docs/scale-out.md). The commands are plain data built by
 * pure functions; `DynsecClient` sends them over MQTT and waits for the plugin's answers.
 */

export const CONTROL_TOPIC = '$CONTROL/dynamic-security/v1';
export const RESPONSE_TOPIC = `${CONTROL_TOPIC}/response`;
/** The hub's own role: take device topics (shared subscription) and send commands. */
export const HUB_ROLE = 'mistohub-hub';

export type DynsecCommand = { command: string; [field: string]: unknown };
type Acl = { acltype: 'publishClientSend' | 'subscribePattern'; topic: string; allow: true; priority?: number };

export const deviceRole = (id: string): string => `device-${id}`;

/** What a device may do, by kind: the same rules as services/broker/acl.ts. Pure. */
export function deviceAcls(device: Pick<Device, 'id' | 'kind'>): Acl[] {
  const send = (topic: string): Acl => ({ acltype: 'publishClientSend', topic, allow: true });
  switch (device.kind) {
    case 'tracker':
      return [send(topics.position(device.id))];
    case 'lighting-controller':
      return [send(topics.lightingState(device.id)), send(topics.lightingCommandAck(device.id)), { acltype: 'subscribePattern', topic: topics.lightingCommand(device.id), allow: true }];
    case 'energy-meter':
      return [send(topics.energyReading(device.id))];
    case 'weather-station':
      return [send(topics.weather(device.id))];
  }
}

/** The commands of a registry change. Pure. */
export const dynsecCommands = {
  created: (device: Pick<Device, 'id' | 'kind'>, secret: string): DynsecCommand[] => [
    { command: 'createRole', rolename: deviceRole(device.id), acls: deviceAcls(device) },
    { command: 'createClient', username: device.id, password: secret, roles: [{ rolename: deviceRole(device.id) }] },
  ],
  rotated: (id: string, secret: string): DynsecCommand[] => [{ command: 'setClientPassword', username: id, password: secret }],
  enabled: (id: string, enabled: boolean): DynsecCommand[] => [{ command: enabled ? 'enableClient' : 'disableClient', username: id }],
  removed: (id: string): DynsecCommand[] => [
    { command: 'deleteClient', username: id },
    { command: 'deleteRole', rolename: deviceRole(id) },
  ],
  /** The hub's own rights, added to its account at start (errors "already exists" are fine). */
  hub: (username: string): DynsecCommand[] => [
    {
      command: 'createRole', rolename: HUB_ROLE,
      acls: [
        { acltype: 'subscribePattern', topic: 'v1/#', allow: true },
        { acltype: 'publishClientReceive', topic: 'v1/#', allow: true },
        { acltype: 'publishClientSend', topic: 'v1/lighting/+/cmd', allow: true },
      ],
    },
    { command: 'addClientRole', username, rolename: HUB_ROLE },
  ],
};

/** Secrets never reach the log: commands are logged by name and target only. */
const describe = (c: DynsecCommand): string => `${c.command} ${String(c.username ?? c.rolename ?? '')}`;

export interface DynsecResult {
  command: string;
  error?: string;
}

/** Sends dynamic-security commands over its own MQTT 5 connection (the hub's login). */
export class DynsecClient {
  private readonly waiting = new Map<string, (results: DynsecResult[]) => void>();

  private constructor(private readonly client: MqttClient, private readonly logger: Logger) {
    client.on('message', (topic, payload) => {
      if (topic !== RESPONSE_TOPIC) return;
      let body: { responses?: (DynsecResult & { correlationData?: string })[] };
      try {
        body = JSON.parse(payload.toString()) as typeof body;
      } catch {
        return;
      }
      const responses = body.responses ?? [];
      const id = responses[0]?.correlationData;
      const resolve = id ? this.waiting.get(id) : undefined;
      if (!id || !resolve) return;
      this.waiting.delete(id);
      resolve(responses.map((r) => ({ command: r.command, ...(r.error ? { error: r.error } : {}) })));
    });
  }

  static async connect(opts: { url: string; username?: string; password?: string; instanceId: string; logger: Logger }): Promise<DynsecClient> {
    const client = await mqtt.connectAsync(opts.url, {
      protocolVersion: 5, clientId: `mistohub-${opts.instanceId}-dynsec`, clean: true, reconnectPeriod: 1000,
      ...(opts.username ? { username: opts.username } : {}), ...(opts.password ? { password: opts.password } : {}),
    });
    client.on('error', (err) => opts.logger.warn({ err: err.message }, 'dynamic-security connection error'));
    await client.subscribeAsync(RESPONSE_TOPIC, { qos: 1 });
    return new DynsecClient(client, opts.logger);
  }

  /** Sends the commands as one request; resolves with one result per command (an `error` when the plugin refused it). */
  async send(commands: DynsecCommand[], timeoutMs = 10_000): Promise<DynsecResult[]> {
    const id = randomUUID();
    const answered = new Promise<DynsecResult[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`no answer from the dynamic-security plugin to ${commands.map(describe).join(', ')}`));
      }, timeoutMs);
      this.waiting.set(id, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
    });
    await this.client.publishAsync(CONTROL_TOPIC, JSON.stringify({ commands: commands.map((c) => ({ ...c, correlationData: id })) }), { qos: 1 });
    return answered;
  }

  /** Sends and logs refusals (except those `ignore` names, e.g. "already exists"). */
  async apply(commands: DynsecCommand[], ignore: RegExp = /^$/): Promise<boolean> {
    try {
      const results = await this.send(commands);
      const failed = results.filter((r) => r.error && !ignore.test(r.error));
      for (const f of failed) this.logger.error({ command: f.command, error: f.error }, 'dynamic-security refused a command');
      return failed.length === 0;
    } catch (err) {
      this.logger.error({ err: (err as Error).message }, 'dynamic-security not answering; device logins in the broker may lag the registry');
      return false;
    }
  }

  close(): Promise<void> {
    return this.client.endAsync();
  }
}

/**
 * Keeps the broker's device logins in step with the registry: every create, secret rotation,
 * enable/disable and delete of an MQTT device is sent to the plugin once the registry has it.
 * The REST answer waits for the broker, so a device may log in as soon as it has its secret.
 */
export function syncDeviceLogins(devices: DeviceRegistry, dynsec: DynsecClient): void {
  const create = devices.create.bind(devices);
  const update = devices.update.bind(devices);
  const remove = devices.remove.bind(devices);
  const logsIn = (d: Device) => d.protocol === 'mqtt';
  devices.create = async (input, actor) => {
    const result = await create(input, actor);
    if (result.secret && logsIn(result.device)) await dynsec.apply(dynsecCommands.created(result.device, result.secret));
    return result;
  };
  devices.update = async (id, patch, actor) => {
    const before = devices.get(id);
    const result = await update(id, patch, actor);
    if (result && logsIn(result.device)) {
      if (result.secret) await dynsec.apply(dynsecCommands.rotated(id, result.secret));
      if (before && before.enabled !== result.device.enabled) await dynsec.apply(dynsecCommands.enabled(id, result.device.enabled));
    }
    return result;
  };
  devices.remove = async (id, actor) => {
    const device = devices.get(id);
    const removed = await remove(id, actor);
    if (removed && device && logsIn(device)) void dynsec.apply(dynsecCommands.removed(id));
    return removed;
  };
}

/**
 * External broker mode's device logins: when the broker answers the dynamic-security plugin
 * (Mosquitto 2 with the plugin, and the hub's login allowed to use it), the hub's role is added
 * to its account and registry changes are sent from here on. Otherwise the operator keeps
 * device logins in the broker (docs/scale-out.md) and this returns undefined.
 */
export async function startDeviceLoginSync(opts: { url: string; username?: string; password?: string; instanceId: string; logger: Logger; devices: DeviceRegistry }): Promise<DynsecClient | undefined> {
  const dynsec = await DynsecClient.connect(opts);
  try {
    await dynsec.send([{ command: 'getDefaultACLAccess' }], 3000);
  } catch {
    opts.logger.info('the external broker does not answer dynamic-security commands: device logins and ACLs are kept in the broker by the operator');
    await dynsec.close();
    return undefined;
  }
  if (opts.username) await dynsec.apply(dynsecCommands.hub(opts.username), /already|exists|in use/i);
  syncDeviceLogins(opts.devices, dynsec);
  opts.logger.info('device logins are kept in step with the broker (dynamic-security plugin)');
  return dynsec;
}
