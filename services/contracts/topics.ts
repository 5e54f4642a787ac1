/**
 * MQTT topic builders and the one parser. Every topic starts with the contract version `v1`.
 *   v1/transit/{deviceId}/position
 *   v1/lighting/{controllerId}/state | cmd | cmd/ack
 *   v1/energy/{meterId}/reading
 *   v1/energy/{stationId}/weather
 */
export const topics = {
  position: (deviceId: string) => `v1/transit/${deviceId}/position`,
  lightingState: (controllerId: string) => `v1/lighting/${controllerId}/state`,
  lightingCommand: (controllerId: string) => `v1/lighting/${controllerId}/cmd`,
  lightingCommandAck: (controllerId: string) => `v1/lighting/${controllerId}/cmd/ack`,
  energyReading: (meterId: string) => `v1/energy/${meterId}/reading`,
  weather: (stationId: string) => `v1/energy/${stationId}/weather`,
} as const;

/** What a device publishes (and the hub ingests). */
export type UplinkChannel = 'position' | 'lighting-state' | 'lighting-cmd-ack' | 'energy-reading' | 'weather';
/** What only the hub publishes. */
export type DownlinkChannel = 'lighting-cmd';
export type Channel = UplinkChannel | DownlinkChannel;

export interface ParsedTopic {
  deviceId: string;
  channel: Channel;
}

const PATTERNS: ReadonlyArray<[RegExp, Channel]> = [
  [/^v1\/transit\/([^/+#]+)\/position$/, 'position'],
  [/^v1\/lighting\/([^/+#]+)\/state$/, 'lighting-state'],
  [/^v1\/lighting\/([^/+#]+)\/cmd$/, 'lighting-cmd'],
  [/^v1\/lighting\/([^/+#]+)\/cmd\/ack$/, 'lighting-cmd-ack'],
  [/^v1\/energy\/([^/+#]+)\/reading$/, 'energy-reading'],
  [/^v1\/energy\/([^/+#]+)\/weather$/, 'weather'],
];

/** The device and channel a topic names, or null when it is not a topic of the contract. */
export function parseTopic(topic: string): ParsedTopic | null {
  for (const [re, channel] of PATTERNS) {
    const m = re.exec(topic);
    if (m?.[1]) return { deviceId: m[1], channel };
  }
  return null;
}
