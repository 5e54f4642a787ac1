import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../services/contracts/index.ts';
import { DOMAINS } from '../../services/hub/domains.ts';
import type { Domain, DomainContext } from '../../services/platform/domain-module.ts';
import { deviceAcls, dynsecCommands } from '../../services/uplink/dynsec.ts';
import { eventually, startTestHub, type TestHub } from '../support/hub.ts';
import { startMosquitto, type RunningMosquitto } from '../support/mosquitto-broker.ts';
import { makeTempDir } from '../support/temp-dir.ts';

const PLUGIN = '/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so';
const HUB_LOGIN = { user: 'mistohub', password: 'hub-password-0123456789' };

describe('dynamic-security commands (pure)', () => {
  it('a device role allows only its own kind\'s topics', () => {
    expect(deviceAcls({ id: 't1', kind: 'tracker' })).toEqual([{ acltype: 'publishClientSend', topic: 'v1/transit/t1/position', allow: true }]);
    expect(deviceAcls({ id: 'c1', kind: 'lighting-controller' }).map((a) => `${a.acltype} ${a.topic}`)).toEqual([
      'publishClientSend v1/lighting/c1/state', 'publishClientSend v1/lighting/c1/cmd/ack', 'subscribePattern v1/lighting/c1/cmd',
    ]);
    expect(dynsecCommands.removed('m1').map((c) => c.command)).toEqual(['deleteClient', 'deleteRole']);
  });
});

/** External broker mode against a real mosquitto 2 with the dynamic-security plugin. */
describe('device logins kept in mosquitto by the registry (dynamic-security plugin)', () => {
  let broker: RunningMosquitto;
  let hub: TestHub;
  let ctx: DomainContext | undefined;
  const probe: Domain = { name: 'probe', create: (c) => ((ctx = c), { name: 'probe' }) };
  const init = makeTempDir('dynsec-init');

  beforeAll(async () => {
    const file = join(init.path, 'dynsec.json');
    execFileSync('mosquitto_ctrl', ['dynsec', 'init', file, HUB_LOGIN.user, HUB_LOGIN.password], { stdio: 'ignore' });
    broker = await startMosquitto({
      files: { 'dynsec.json': readFileSync(file, 'utf8') },
      config: ['allow_anonymous false', `plugin ${PLUGIN}`, 'plugin_opt_config_file {dir}/dynsec.json'],
    });
    hub = await startTestHub({ MQTT_URL: broker.url, MQTT_USERNAME: HUB_LOGIN.user, MQTT_PASSWORD: HUB_LOGIN.password, HUB_INSTANCE_ID: 'dyn-a' }, { domains: [...DOMAINS, probe] });
  }, 60_000);

  afterAll(async () => {
    await hub?.stop();
    await broker?.stop();
    init.remove();
  });

  const login = (username: string, password: string) => mqtt.connectAsync(broker.url, { protocolVersion: 5, username, password, clientId: `${username}-${Math.random()}`, reconnectPeriod: 0 });

  it('a registered tracker logs in to the broker with its secret; its position reaches the hub; another id\'s topic is refused', async () => {
    const { id, secret } = await hub.register({ id: 'trk-d1', kind: 'tracker', protocol: 'mqtt', vehicleId: 'TB-D1', routeId: 'T2' });
    await expect(login(id, 'wrong-secret')).rejects.toThrow(/not authori[sz]ed|bad user/i);
    const device = await login(id, secret);
    await device.publishAsync(topics.position(id), JSON.stringify({ ts: new Date().toISOString(), lat: 48.515, lon: 32.265 }), { qos: 1 });
    await eventually(async () => {
      const list = (await (await hub.api('/api/v1/transit/vehicles')).json()) as { vehicleId: string }[];
      return list.some((v) => v.vehicleId === 'TB-D1');
    }, 10_000, 'the position at the hub');
    await expect(device.publishAsync(topics.position('trk-other'), JSON.stringify({ ts: new Date().toISOString(), lat: 48.5, lon: 32.2 }), { qos: 1 })).rejects.toThrow(/135|not authori[sz]ed/i);
    await device.endAsync();
  });

  it('a controller may subscribe to its own command topic only, and gets the hub\'s commands', async () => {
    const { id, secret } = await hub.register({ id: 'cab-d1', kind: 'lighting-controller', protocol: 'mqtt' });
    const device = await login(id, secret);
    const own = await device.subscribeAsync(topics.lightingCommand(id), { qos: 1 });
    expect(own[0]?.qos).toBe(1);
    await expect(device.subscribeAsync(topics.lightingCommand('cab-zz'), { qos: 1 })).rejects.toThrow(/not authori[sz]ed/i);
    const got: string[] = [];
    device.on('message', (_t, p) => got.push(p.toString()));
    // The hub's own account was given the right to send commands at start.
    await ctx!.publish(topics.lightingCommand(id), JSON.stringify({ cmdId: 'd-1', ts: new Date().toISOString(), action: 'on' }));
    await eventually(async () => got.find((p) => p.includes('"d-1"')), 10_000, 'the command at the controller');
    await device.endAsync();
  });

  it('rotating the secret refuses the old one; disabling refuses it until enabled; deleting refuses it altogether', async () => {
    const { id, secret } = await hub.register({ id: 'mtr-d1', kind: 'energy-meter', protocol: 'mqtt', buildingId: 'b-1' });
    (await login(id, secret)).end(true);
    const rotated = (await (await hub.api(`/api/v1/devices/${id}`, { method: 'PATCH', json: { rotateSecret: true } })).json()) as { secret: string };
    await expect(login(id, secret)).rejects.toThrow(/not authori[sz]ed|bad user/i);
    (await login(id, rotated.secret)).end(true);
    expect((await hub.api(`/api/v1/devices/${id}`, { method: 'PATCH', json: { enabled: false } })).status).toBe(200);
    await expect(login(id, rotated.secret)).rejects.toThrow(/not authori[sz]ed|bad user/i);
    expect((await hub.api(`/api/v1/devices/${id}`, { method: 'PATCH', json: { enabled: true } })).status).toBe(200);
    (await login(id, rotated.secret)).end(true);
    expect((await hub.api(`/api/v1/devices/${id}`, { method: 'DELETE' })).status).toBeLessThan(300);
    await eventually(async () => {
      try {
        (await login(id, rotated.secret)).end(true);
        return false;
      } catch {
        return true;
      }
    }, 10_000, 'the deleted device to be refused');
  });
});
