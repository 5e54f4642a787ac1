/** Demo-feed vehicles for the mobile tests: trackers on trolleybus 1 reporting over real MQTT. */
import mqtt from 'mqtt';
import { topics } from '../../services/contracts/index.ts';
import type { TestHub } from '../support/hub.ts';

/** Points along the demo feed's shape T1-0 (Railway Station → Bus Station → …), in order. */
export const T1_PATH: Array<[number, number]> = [
  [48.523, 32.288], [48.52, 32.28626], [48.51726, 32.28406], [48.51484, 32.28118], [48.5123, 32.2786],
];

/** Registers (once) a tracker on `routeId` (T1 unless said) and sends `points` as its positions, 10 s apart, the last one now. */
export async function drive(hub: TestHub, id: string, vehicleId: string, points: Array<[number, number]>, routeId = 'T1'): Promise<void> {
  const res = await hub.api(`/api/v1/devices/${id}`);
  const secret = res.status === 404 ? (await hub.register({ id, kind: 'tracker', protocol: 'mqtt', vehicleId, routeId })).secret
    : ((await (await hub.api(`/api/v1/devices/${id}`, { method: 'PATCH', json: { rotateSecret: true } })).json()) as { secret: string }).secret;
  const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${hub.mqttPort}`, { username: id, password: secret });
  const now = Date.now();
  for (const [i, [lat, lon]] of points.entries()) {
    await c.publishAsync(topics.position(id), JSON.stringify({ ts: now - (points.length - 1 - i) * 10_000, lat, lon, speedKmh: 30, courseDeg: 200 }), { qos: 1 });
  }
  await c.endAsync();
}
