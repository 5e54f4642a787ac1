import mqtt, { ErrorWithSubackPacket } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../services/contracts/index.ts';
import { eventually, startTestHub, type TestHub } from '../support/hub.ts';
import { mosquittoPub, mosquittoSub } from '../support/mosquitto.ts';

/** The return codes of a SUBACK; MQTT.js rejects on 0x80, with the packet. */
async function suback(client: mqtt.MqttClient, filter: string): Promise<number[]> {
  try {
    return (await client.subscribeAsync(filter, { qos: 1 })).map((g) => g.qos);
  } catch (err) {
    if (err instanceof ErrorWithSubackPacket) return err.packet.granted.map((g) => (typeof g === 'number' ? g : (g as { qos: number }).qos));
    throw err;
  }
}

/** Device authentication and ACL, checked with mosquitto_pub/mosquitto_sub as an outside client. */
describe('MQTT security (mosquitto clients against the embedded broker)', () => {
  let t: TestHub;
  let a: { id: string; secret: string };
  let b: { id: string; secret: string };
  let lamp: { id: string; secret: string };
  const conn = () => ['-h', '127.0.0.1', '-p', String(t.mqttPort), '-V', 'mqttv311'];
  const position = (lat: number) => JSON.stringify({ ts: new Date().toISOString(), lat, lon: 32.26, speedKmh: 30 });

  beforeAll(async () => {
    t = await startTestHub();
    a = await t.register({ id: 'trk-a', kind: 'tracker', protocol: 'mqtt', imei: '356307042441011', vehicleId: 'TB-201', routeId: 'T1' });
    b = await t.register({ id: 'trk-b', kind: 'tracker', protocol: 'mqtt', imei: '356307042441012', vehicleId: 'TB-202', routeId: 'T1' });
    lamp = await t.register({ id: 'cab-1', kind: 'lighting-controller', protocol: 'mqtt' });
  });
  afterAll(() => t?.stop());

  it('refuses anonymous clients', async () => {
    const r = await mosquittoPub([...conn(), '-t', topics.position('trk-a'), '-m', position(48.5)]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/not authori[sz]ed|refused/i);
  });

  it('refuses a wrong secret', async () => {
    const r = await mosquittoPub([...conn(), '-u', 'trk-a', '-P', 'wrong-secret', '-t', topics.position('trk-a'), '-m', position(48.5)]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/bad user name or password|refused/i);
  });

  it('takes a valid position into live state and the track', async () => {
    const r = await mosquittoPub([...conn(), '-u', a.id, '-P', a.secret, '-q', '1', '-t', topics.position(a.id), '-m', position(48.5101)]);
    expect(r.code).toBe(0);
    const vehicle = await eventually(async () => {
      const list = (await (await t.api('/api/v1/transit/vehicles')).json()) as { vehicleId: string; lat: number; deviceId: string }[];
      return list.find((v) => v.vehicleId === 'TB-201');
    });
    expect(vehicle).toMatchObject({ deviceId: 'trk-a', lat: 48.5101 });
    const track = await eventually(async () => {
      const res = (await (await t.api('/api/v1/transit/vehicles/TB-201/track')).json()) as { lat: number }[];
      return res.length ? res : undefined;
    });
    expect(track.map((p) => p.lat)).toEqual([48.5101]);
  });

  it('a device publishing under another device id changes nothing', async () => {
    const r = await mosquittoPub([...conn(), '-u', a.id, '-P', a.secret, '-q', '1', '-t', topics.position(b.id), '-m', position(48.4)]);
    // [MQTT-3.3.5-2] the broker closes the connection instead of acknowledging.
    expect(r.code).not.toBe(0);
    const list = (await (await t.api('/api/v1/transit/vehicles')).json()) as { vehicleId: string }[];
    expect(list.map((v) => v.vehicleId)).not.toContain('TB-202');
    const track = (await (await t.api('/api/v1/transit/vehicles/TB-202/track')).json()) as unknown[];
    expect(track).toEqual([]);
  });

  it('a device subscribing to # is refused (SUBACK 0x80) and sees nobody else, while an observer does', async () => {
    // An observer subscribes first: until one does the broker forwards no device message at all,
    // and a broken subscription check would go unseen.
    const res = await t.api('/api/v1/service-accounts', { method: 'POST', json: { name: 'watch-0', scope: 'observer' } });
    expect(res.status).toBe(201);
    const observer = (await res.json()) as { username: string; secret: string };
    const url = `mqtt://127.0.0.1:${t.mqttPort}`;
    const watch = await mqtt.connectAsync(url, { username: observer.username, password: observer.secret, reconnectPeriod: 0 });
    const device = await mqtt.connectAsync(url, { username: a.id, password: a.secret, clientId: a.id, reconnectPeriod: 0 });
    try {
      const seenByObserver: string[] = [];
      const seenByDevice: string[] = [];
      watch.on('message', (topic, payload) => seenByObserver.push(`${topic} ${payload.toString()}`));
      device.on('message', (topic, payload) => seenByDevice.push(`${topic} ${payload.toString()}`));
      expect(await suback(watch, 'v1/#')).toEqual([1]);
      // [MQTT-3.9.3] 0x80 in the SUBACK: the refusal itself, and the connection stays open.
      expect(await suback(device, '#')).toEqual([0x80]);
      expect(await suback(device, topics.position(b.id))).toEqual([0x80]);

      const pub = await mosquittoPub([...conn(), '-u', b.id, '-P', b.secret, '-q', '1', '-t', topics.position(b.id), '-m', position(48.52)]);
      expect(pub.code).toBe(0);
      await eventually(async () => seenByObserver.some((m) => m.startsWith(topics.position(b.id)) && m.includes('48.52')), 10_000, "the observer to get trk-b's position");
      // A round trip on the device's own connection: anything forwarded to it would have come first.
      await device.publishAsync(topics.position(a.id), position(48.521), { qos: 1 });
      expect(seenByDevice.filter((m) => m.includes(b.id))).toEqual([]);
    } finally {
      await device.endAsync();
      await watch.endAsync();
    }
  });

  it('an observer service account sees what devices send, and never a refused payload', async () => {
    const res = await t.api('/api/v1/service-accounts', { method: 'POST', json: { name: 'watch-1', scope: 'observer' } });
    expect(res.status).toBe(201);
    const { username, secret } = (await res.json()) as { username: string; secret: string };
    // Until now nobody could receive device messages, so the broker forwarded none; a subscription changes that.
    const sub = mosquittoSub([...conn(), '-u', username, '-P', secret, '-t', 'v1/transit/#', '-v', '-C', '1', '-W', '10']);
    await new Promise((r) => setTimeout(r, 500));
    const refused = await mosquittoPub([...conn(), '-u', b.id, '-P', b.secret, '-q', '1', '-t', topics.position(b.id), '-m', '{"lat": "north"}']);
    expect(refused.code).toBe(0);
    const pub = await mosquittoPub([...conn(), '-u', b.id, '-P', b.secret, '-q', '1', '-t', topics.position(b.id), '-m', position(48.53)]);
    expect(pub.code).toBe(0);
    const out = await sub.exited;
    expect(out.stdout, `mosquitto_sub exited with ${out.code}: ${out.stderr}`).toContain(`${topics.position(b.id)} {`);
    expect(out.stdout).toContain('48.53');
    expect(out.stdout).not.toContain('north');
  });

  it('a lighting controller may subscribe to its own command topic only', async () => {
    const own = mosquittoSub([...conn(), '-u', lamp.id, '-P', lamp.secret, '-t', topics.lightingCommand(lamp.id), '-C', '1', '-W', '10']);
    await new Promise((r) => setTimeout(r, 500));
    const other = mosquittoSub([...conn(), '-u', lamp.id, '-P', lamp.secret, '-t', topics.lightingCommand('cab-2'), '-W', '2']);
    const otherOut = await other.exited;
    expect(otherOut.stderr + otherOut.stdout).toMatch(/denied|refused|rejected/i);
    await own.stop();
  });

  it('takes MQTT over WebSocket at /mqtt on the HTTP port, with the same authentication', async () => {
    const url = `ws://127.0.0.1:${t.hub.ports.http}/mqtt`;
    await expect(mqtt.connectAsync(url, { username: 'trk-a', password: 'wrong', reconnectPeriod: 0 })).rejects.toThrow(/Bad username or password|Not authorized/i);
    const c = await mqtt.connectAsync(url, { username: b.id, password: b.secret, reconnectPeriod: 0 });
    await c.publishAsync(topics.position(b.id), position(48.5333), { qos: 1 });
    await c.endAsync();
    const v = await eventually(async () => ((await (await t.api('/api/v1/transit/vehicles')).json()) as { vehicleId: string; lat: number }[]).find((x) => x.vehicleId === 'TB-202' && x.lat === 48.5333));
    expect(v.lat).toBe(48.5333);
  });

  it('counts every message received and accepted in /metrics, read after read', async () => {
    const read = async () => {
      const text = await (await t.api('/metrics', { token: null })).text();
      const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? 0);
      return {
        received: value(/^mistohub_messages_received_total\{source="mqtt"\} (\d+)$/m),
        accepted: value(/^mistohub_messages_accepted_total\{source="mqtt",channel="position"\} (\d+)$/m),
      };
    };
    const before = await read();
    for (const lat of [48.61, 48.62]) {
      const r = await mosquittoPub([...conn(), '-u', a.id, '-P', a.secret, '-q', '1', '-t', topics.position(a.id), '-m', position(lat)]);
      expect(r.code).toBe(0);
    }
    const between = await read();
    expect(between).toEqual({ received: before.received + 2, accepted: before.accepted + 2 });
    const r = await mosquittoPub([...conn(), '-u', a.id, '-P', a.secret, '-q', '1', '-t', topics.position(a.id), '-m', position(48.63)]);
    expect(r.code).toBe(0);
    expect(await read()).toEqual({ received: between.received + 1, accepted: between.accepted + 1 });
  });

  it('counts refused logins in /metrics', async () => {
    const text = await (await t.api('/metrics', { token: null })).text();
    const m = /mistohub_mqtt_auth_failures_total (\d+)/.exec(text);
    expect(Number(m?.[1])).toBeGreaterThanOrEqual(2);
  });
});
