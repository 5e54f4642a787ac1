import { parseTopic, topics, type Channel, type Device, type DeviceKind } from '../contracts/index.ts';
import type { ServiceScope } from '../registry/accounts.ts';

/** Who is on the other end of an MQTT connection. */
export type MqttIdentity = { type: 'device'; device: Device } | { type: 'service'; username: string; scope: ServiceScope };

/** Service accounts log in as `svc:{name}`; device ids cannot contain `:`, so the two never clash. */
export const SERVICE_PREFIX = 'svc:';

const UPLINK_BY_KIND: Record<DeviceKind, readonly Channel[]> = {
  tracker: ['position'],
  'lighting-controller': ['lighting-state', 'lighting-cmd-ack'],
  'energy-meter': ['energy-reading'],
  'weather-station': ['weather'],
};

/** A device may publish only its own kind's topics under its own id; a gateway only positions. */
export function mayPublish(who: MqttIdentity, topic: string, trackerExists: (id: string) => boolean): boolean {
  const parsed = parseTopic(topic);
  if (!parsed) return false;
  if (who.type === 'device') return parsed.deviceId === who.device.id && UPLINK_BY_KIND[who.device.kind].includes(parsed.channel);
  return who.scope === 'gateway' && parsed.channel === 'position' && trackerExists(parsed.deviceId);
}

/** A device may subscribe only to its own command topic; an observer to any contract topic. */
export function maySubscribe(who: MqttIdentity, filter: string): boolean {
  if (who.type === 'device') return who.device.kind === 'lighting-controller' && filter === topics.lightingCommand(who.device.id);
  return who.scope === 'observer' && (filter === 'v1/#' || filter.startsWith('v1/')) && !filter.startsWith('$');
}
