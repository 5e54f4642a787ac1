import { Aedes, type AuthenticateError, type Client, type PublishPacket } from 'aedes';
import { createServer, type AddressInfo, type Server } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { decodeDeviceMessage } from '../contracts/index.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { Accounts } from '../registry/accounts.ts';
import type { DeviceRegistry } from '../registry/devices.ts';
import type { Ingest } from '../ingest/ingest.ts';
import { SERVICE_PREFIX, mayPublish, maySubscribe, type MqttIdentity } from './acl.ts';
import { clientAddress, type TrustProxy } from '../http/client-address.ts';
import { HashBusyError } from '../registry/secrets.ts';
import { AuthThrottle, DEVICE_THROTTLE, attemptAfterHold, type AttemptTicket } from './auth-throttle.ts';
import type { AedesBackends } from './backends.ts';
import { LogSummary } from '../observability/log-summary.ts';
import { COMPLETION_BUDGET_MS, COMPLETION_BUDGET_THROTTLED_MS, COMPLETIONS_PER_TURN, CompletionQueue, FLOOD_ACKS } from './completion-queue.ts';

export interface BrokerDeps {
  devices: DeviceRegistry;
  accounts: Accounts;
  ingest: Ingest;
  metrics: Metrics;
  logger: Logger;
  now: () => number;
  /** Which proxies' X-Forwarded-For to believe for MQTT over WebSocket (TRUST_PROXY). */
  trustProxy?: TrustProxy;
  /** true while admissions are being delayed: acknowledgements then get a short turn (see completion-queue.ts) */
  throttled?: () => boolean;
  /** What aedes runs on (services/broker/backends.ts): in memory by default, Redis when shared. */
  backends?: Pick<AedesBackends, 'options' | 'shared'>;
}

export interface MqttBroker {
  /** Hands a WebSocket stream (MQTT over WebSocket at /mqtt) to the broker. */
  handle(stream: Duplex, req?: IncomingMessage): void;
  listen(port: number, host: string): Promise<number>;
  /** Publishes the hub's own message (a command to a device) at QoS 1. */
  publish(topic: string, payload: string | Buffer): Promise<void>;
  /** Messages kept but not yet acknowledged: the hub is at its capacity when these pile up. */
  pendingAcks(): number;
  /** Drops every connection of a device (after it was disabled, deleted or its secret rotated). */
  disconnectDevice(deviceId: string): void;
  close(): Promise<void>;
}

const authError = (message: string, returnCode: number): AuthenticateError => Object.assign(new Error(message), { returnCode }) as AuthenticateError;


/**
 * The embedded MQTT broker. Device data is taken in at `authorizePublish`, which aedes runs
 * before it writes the PUBACK: the callback fires only once the message is in the spool, so a
 * QoS 1 PUBACK means "on disk". While a connection waits, aedes reads nothing more from it.
 */
export async function createBroker(deps: BrokerDeps): Promise<MqttBroker> {
  const { devices, accounts, ingest, metrics, logger, now } = deps;
  const identities = new WeakMap<Client, MqttIdentity>();
  const throttle = new AuthThrottle(now, DEVICE_THROTTLE);
  // MQTT over WebSocket comes with its HTTP request, and through a reverse proxy when TRUST_PROXY says so.
  const forwardedAddress = clientAddress(deps.trustProxy ?? false);
  const remoteAddress = (client: Client): string => {
    if (client.req) return forwardedAddress(client.req);
    const conn = client.conn as Duplex & { remoteAddress?: string };
    return conn.remoteAddress ?? 'unknown';
  };
  // A brute force must not flood the log: the first refusal of a minute in full, then a count.
  const refusals = new LogSummary<object>(60_000, {
    first: (detail) => logger.warn(detail, 'mqtt login refused'),
    summary: (count, addresses, intervalMs) => logger.warn({ count, addresses, intervalS: intervalMs / 1000 }, 'mqtt logins refused (more in this interval)'),
  });
  /** Payloads that failed validation: acknowledged and dead-lettered, but never forwarded. */
  const refusedPayloads = new WeakSet<Buffer>();
  const trackerExists = (id: string) => devices.get(id)?.kind === 'tracker';
  const receivedMqtt = metrics.perMessage(metrics.received, { source: 'mqtt' });
  // A flood shows in the queue itself at once, before the next backpressure assessment.
  const flooded = (): boolean => completions.length > FLOOD_ACKS || deps.throttled?.() === true;
  const completions: CompletionQueue = new CompletionQueue(COMPLETIONS_PER_TURN, () => (flooded() ? COMPLETION_BUDGET_THROTTLED_MS : COMPLETION_BUDGET_MS));
  /** Set once an observer subscribes: only observers may subscribe to what devices send. */
  // With shared backends an observer may have subscribed on another instance: always forward.
  let uplinkSubscribed = deps.backends?.shared === true;

  const broker = await Aedes.createBroker({
    ...deps.backends?.options,
    // Client ids are the device's id (≤ 64) or a service's `svc:` name, with room to spare.
    maxClientsIdLength: 128,
    authenticate(client, username, password, done) {
      const address = remoteAddress(client);
      const check = async (): Promise<MqttIdentity | undefined> => {
        if (!username || !password) return undefined;
        const secret = password.toString('utf8');
        if (username.startsWith(SERVICE_PREFIX)) {
          const scope = await accounts.authenticateService(username, secret);
          return scope ? { type: 'service', username, scope } : undefined;
        }
        const device = await devices.authenticate(username, secret);
        return device ? { type: 'device', device } : undefined;
      };
      const verify = (attempt: AttemptTicket) =>
        check().then(
          (who) => {
            if (!who) {
              attempt.failed();
              metrics.authFailures.inc();
              // Never log the password; the username is an id, not a secret.
              refusals.note(address, { username: username?.slice(0, 128) ?? null, address, reason: 'bad credentials' });
              return done(authError(username ? 'bad username or password' : 'anonymous clients are refused', username ? 4 : 5), false);
            }
            attempt.succeeded();
            identities.set(client, who);
            done(null, true);
          },
          (err: Error) => {
            attempt.abandoned();
            if (err instanceof HashBusyError) logger.debug({ address }, 'mqtt login refused: too many credential checks waiting');
            else logger.error({ err }, 'mqtt authentication failed');
            done(authError('server unavailable', 3), false);
          },
        );

      // Counted before the check, per address and per account: parallel guesses cannot all pass.
      // Held back, an attempt waits its hold out once; still held, it is refused without a hash.
      void attemptAfterHold(throttle, address, username || undefined).then((attempt) => {
        if (!attempt.ok) {
          metrics.authFailures.inc();
          refusals.note(address, { username: username?.slice(0, 128) ?? null, address, reason: 'held back after failed logins' });
          return done(authError('too many failed logins; try again later', 3), false);
        }
        verify(attempt);
      });
    },

    authorizePublish(client, packet, callback) {
      // The hub's own publishes (commands) come with no client.
      if (!client) return callback(null);
      const who = identities.get(client);
      if (!who || !mayPublish(who, packet.topic, trackerExists)) {
        metrics.unauthorized.inc({ action: 'publish' });
        logger.warn({ clientId: client.id, topic: packet.topic.slice(0, 200) }, 'mqtt publish refused by the ACL; closing the connection');
        // [MQTT-3.3.5-2] the server must either acknowledge or close the connection: closing tells the device.
        return callback(new Error('not authorized'));
      }
      // Devices' messages are telemetry, never retained state of the broker.
      packet.retain = false;
      receivedMqtt.inc();
      const decoded = decodeDeviceMessage(packet.topic, packet.payload as Buffer, now());
      if (!decoded.ok) {
        ingest.reject({ ...decoded.error, source: 'mqtt', topic: packet.topic, payload: packet.payload as Buffer });
        refusedPayloads.add(packet.payload as Buffer);
        return callback(null);
      }
      ingest.accept([decoded.message], 'mqtt', { durable: packet.qos > 0 }).then(
        () => completions.push(callback),
        (err: Error) => {
          // Not kept, so not acknowledged: the device resends after it reconnects. The spool logs
          // the cause once and health shows it; one line per message would flood the log.
          logger.debug({ err: err.message, clientId: client.id }, 'message not kept; closing the connection without PUBACK');
          callback(err);
        },
      );
    },

    authorizeSubscribe(client, sub, callback) {
      const who = identities.get(client);
      if (!who || !maySubscribe(who, sub.topic)) {
        metrics.unauthorized.inc({ action: 'subscribe' });
        // A null subscription answers SUBACK 0x80 (failure) and keeps the connection.
        return callback(null, null);
      }
      if (who.type === 'service') uplinkSubscribed = true;
      callback(null, sub);
    },

    authorizeForward(_client, packet) {
      return refusedPayloads.has(packet.payload as Buffer) ? null : packet;
    },
  });

  // aedes forwards every device message to subscribers: a topic match, a lookup of offline
  // sessions and several promises each, a sixth of the hub's time at full load. Until an observer
  // has subscribed nobody may receive device messages, so they are not forwarded; the hub's own
  // publishes (commands, with no client) always are. The flag never goes back: an observer's
  // session may outlive its connection.
  type Done = (err?: Error | null) => void;
  // aedes calls publish(packet, client, done) for a device's message; its typings show only the
  // public publish(packet, done).
  const internal = broker as unknown as { publish(packet: PublishPacket, client: Client | Done | null, done?: Done): void };
  const forward = internal.publish.bind(broker);
  internal.publish = (packet, client, done) => {
    if (client && typeof client !== 'function' && !uplinkSubscribed) return done?.(null);
    forward(packet, client, done);
  };

  broker.on('client', () => metrics.mqttClients.inc());
  broker.on('clientDisconnect', () => metrics.mqttClients.dec());
  broker.on('clientError', (client, err) => logger.debug({ clientId: client.id, err: err.message }, 'mqtt client error'));
  broker.on('connectionError', (_client, err) => logger.debug({ err: err.message }, 'mqtt connection error'));

  let tcp: Server | undefined;

  return {
    handle: (stream, req) => {
      broker.handle(stream, req);
    },
    listen(port, host) {
      tcp = createServer({ noDelay: true }, (socket) => broker.handle(socket));
      const server = tcp;
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
      });
    },
    publish(topic, payload) {
      const packet = {
        cmd: 'publish', topic, payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
        qos: 1, retain: false, dup: false,
      } as PublishPacket;
      return new Promise((resolve, reject) => broker.publish(packet, (err?: Error | null) => (err ? reject(err) : resolve())));
    },
    pendingAcks: () => completions.length,
    disconnectDevice(deviceId) {
      const clients = (broker as unknown as { clients: Record<string, Client> }).clients;
      for (const client of Object.values(clients)) {
        const who = identities.get(client);
        if (who?.type === 'device' && who.device.id === deviceId) client.close();
      }
    },
    async close() {
      refusals.flush();
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      if (tcp) await new Promise<void>((resolve) => tcp!.close(() => resolve()));
    },
  };
}
