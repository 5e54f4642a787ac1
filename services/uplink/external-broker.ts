import type { Duplex } from 'node:stream';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { decodeDeviceMessage } from '../contracts/index.ts';
import type { MqttBroker } from '../broker/broker.ts';
import { mayPublish } from '../broker/acl.ts';
import type { Ingest } from '../ingest/ingest.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { DeviceRegistry } from '../registry/devices.ts';

/** Every hub instance subscribes in this group: the broker hands each message to one of them. */
export const SHARE_GROUP = 'mistohub';
/** What devices publish (services/contracts/topics.ts), as filters. */
export const UPLINK_FILTERS = ['v1/transit/+/position', 'v1/lighting/+/state', 'v1/lighting/+/cmd/ack', 'v1/energy/+/reading'] as const;
/**
 * Connections per instance. MQTT.js takes a connection's messages one at a time and the hub
 * acknowledges each only once it is in the spool, so one connection would wait for every fsync
 * in turn; several let the spool's group commit take many at once. With 4, a loaded two-core
 * machine took ~300 messages/s per instance (the cluster test); 16 keep 16 in each fsync.
 */
export const DEFAULT_CONNECTIONS = 16;
/** How long the broker keeps an instance's session (and its queued messages) while it is away. */
export const SESSION_EXPIRY_S = 24 * 3600;

export interface ExternalBrokerDeps {
  url: string;
  username?: string;
  password?: string;
  /** HUB_INSTANCE_ID: keep it stable, so a restarted instance resumes its sessions */
  instanceId: string;
  devices: Pick<DeviceRegistry, 'get'>;
  ingest: Ingest;
  metrics: Metrics;
  logger: Logger;
  now: () => number;
  connections?: number;
}

/**
 * External broker mode (MQTT_URL): devices connect to Mosquitto, EMQX or HiveMQ; the hub
 * embeds no broker. Each instance takes device topics through MQTT 5 shared subscriptions
 * (`$share/mistohub/...`) on persistent sessions, so the broker holds messages while an
 * instance is away, and acknowledges each message (PUBACK) only once it is in the spool.
 * Commands are published to the broker at QoS 1. Device logins and ACLs live in the broker.
 */
export async function connectExternalBroker(deps: ExternalBrokerDeps): Promise<MqttBroker> {
  const { ingest, metrics, logger, now, devices } = deps;
  const receivedMqtt = metrics.perMessage(metrics.received, { source: 'mqtt' });
  let pending = 0;
  let closing = false;

  /** Takes one message in; `ack` sends the PUBACK (0: accepted). Not calling it leaves the message with the broker. */
  function take(client: MqttClient, topic: string, payload: Buffer, qos: number, ack: (code: number) => void): void {
    receivedMqtt.inc();
    const decoded = decodeDeviceMessage(topic, payload, now());
    if (!decoded.ok) {
      ingest.reject({ ...decoded.error, source: 'mqtt', topic, payload });
      return ack(0);
    }
    const device = devices.get(decoded.message.deviceId);
    // The broker's ACL should have refused it; the hub checks the kind again all the same.
    if (device && !mayPublish({ type: 'device', device }, topic, () => false)) {
      ingest.reject({ source: 'mqtt', reason: 'unknown-topic', detail: `a ${device.kind} may not publish to ${topic.slice(0, 200)}`, deviceId: device.id, topic, payload });
      return ack(0);
    }
    pending++;
    ingest.accept([decoded.message], 'mqtt', { durable: qos > 0 }).then(
      () => {
        pending--;
        ack(0);
      },
      (err: Error) => {
        pending--;
        // Not kept, so not acknowledged: dropping the connection makes the broker send it again
        // when the session resumes.
        logger.debug({ err: err.message }, 'message not kept; reconnecting without PUBACK');
        client.stream?.destroy();
      },
    );
  }

  function open(index: number): Promise<MqttClient> {
    const options: IClientOptions = {
      protocolVersion: 5,
      clientId: `mistohub-${deps.instanceId}-${index}`,
      clean: false,
      properties: { sessionExpiryInterval: SESSION_EXPIRY_S, receiveMaximum: 1000 },
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      resubscribe: false,
      ...(deps.username ? { username: deps.username } : {}),
      ...(deps.password ? { password: deps.password } : {}),
      customHandleAcks: (topic, message, packet, done) => {
        if (closing) return; // left with the broker: this session resumes it, or another instance takes it
        take(client, topic, message, packet.qos, (code) => done(code as 0));
      },
    };
    const client = mqtt.connect(deps.url, options);
    let lastError = '';
    client.on('error', (err) => {
      if (err.message === lastError) return;
      lastError = err.message;
      // Never the URL or the login: either may hold a secret.
      logger.warn({ err: err.message, connection: index }, 'external MQTT broker: connection error');
    });
    client.on('connect', (connack) => {
      lastError = '';
      // A resumed session keeps its subscriptions; a new one (first start, or expired) needs them.
      if (connack.sessionPresent) return;
      const filters = Object.fromEntries(UPLINK_FILTERS.map((f) => [`$share/${SHARE_GROUP}/${f}`, { qos: 1 as const }]));
      client.subscribe(filters, (err, granted) => {
        const refused = (granted ?? []).filter((g) => g.qos > 2);
        if (err || refused.length) logger.error({ err: err?.message, refused: refused.map((g) => g.topic) }, 'external MQTT broker refused the subscriptions: check the hub account\'s ACL');
      });
    });
    return new Promise((resolve, reject) => {
      const onFirstError = (err: Error) => {
        client.end(true);
        reject(new Error(`external MQTT broker: ${err.message}`));
      };
      client.once('error', onFirstError);
      client.once('connect', () => {
        client.off('error', onFirstError);
        resolve(client);
      });
    });
  }

  const clients: MqttClient[] = [];
  try {
    for (let i = 0; i < (deps.connections ?? DEFAULT_CONNECTIONS); i++) clients.push(await open(i));
  } catch (err) {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    throw err;
  }
  logger.info({ connections: clients.length, group: SHARE_GROUP }, 'external MQTT broker: subscribed to device topics');
  let next = 0;

  return {
    handle(stream: Duplex) {
      // Devices connect to the external broker, not to the hub.
      stream.destroy();
    },
    listen: async () => 0,
    async publish(topic, payload) {
      const client = clients[next++ % clients.length]!;
      await client.publishAsync(topic, typeof payload === 'string' ? Buffer.from(payload) : payload, { qos: 1 });
    },
    pendingAcks: () => pending,
    disconnectDevice() {
      // The broker holds device logins (docs/scale-out.md): disabling or deleting a device there ends its connection.
    },
    async close() {
      // Stop taking messages; what is taken in already is acknowledged before the connections
      // close. Messages the broker sends meanwhile stay in this instance's session.
      closing = true;
      // Bounded: a spool that does not answer leaves the rest unacknowledged, with the broker.
      const until = Date.now() + 10_000;
      while (pending > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      await Promise.all(clients.map((c) => c.endAsync()));
    },
  };
}
