import type { MqttClient } from 'mqtt';
import { topics } from '../services/contracts/index.ts';
import type { DeviceMessage } from '../services/contracts/index.ts';
import type { DeadLetterInput, Ingest, IngestSource } from '../services/ingest/ingest.ts';
import type { GatewayLogger } from './common/types.ts';

function topicOf(m: DeviceMessage): string {
  switch (m.channel) {
    case 'position':
      return topics.position(m.deviceId);
    case 'lighting-state':
      return topics.lightingState(m.deviceId);
    case 'lighting-cmd-ack':
      return topics.lightingCommandAck(m.deviceId);
    case 'energy-reading':
      return topics.energyReading(m.deviceId);
    case 'weather':
      return topics.weather(m.deviceId);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no PUBACK within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * The `Ingest` of a gateway running apart from the hub: each message is published at QoS 1 to
 * its contract topic, and `accept` resolves only when the broker has answered every PUBACK —
 * the hub acknowledges a QoS 1 publish once the message is in its durable spool, so the device
 * ACK still means "kept". Refusals are logged here; the hub never sees them.
 */
export function createMqttIngest(client: MqttClient, opts: { ackTimeoutMs: number; logger: GatewayLogger }): Ingest {
  return {
    async accept(messages: readonly DeviceMessage[], _source: IngestSource): Promise<void> {
      await Promise.all(
        messages.map((m) => {
          const topic = topicOf(m);
          // payload.ts is already epoch milliseconds: the contract accepts it as is.
          return withTimeout(client.publishAsync(topic, JSON.stringify(m.payload), { qos: 1 }), opts.ackTimeoutMs, topic);
        }),
      );
    },
    reject(input: DeadLetterInput): void {
      const { payload, ...rest } = input;
      opts.logger.warn({ ...rest, payload: typeof payload === 'string' ? payload.slice(0, 512) : undefined }, 'record refused');
    },
  };
}
