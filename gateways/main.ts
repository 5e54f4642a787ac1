/**
 * The tracker gateways as a process of their own, for an edge server near the trackers. It
 * speaks Teltonika, Wialon IPS and GT06 to devices and MQTT (QoS 1, its own credentials) to
 * the hub. Settings: see gateways/settings.ts and docs/gateways.md.
 *
 *   MQTT_URL=mqtt://hub:1883 GATEWAY_USERNAME=edge-1 GATEWAY_PASSWORD=… \
 *   GATEWAY_DEVICES_FILE=./trackers.json tsx gateways/main.ts
 */
import { createServer } from 'node:http';
import mqtt from 'mqtt';
import pino from 'pino';
import { Registry } from 'prom-client';
import type { Gateway, TrackerLookup } from './common/types.ts';
import { startGt06Gateway } from './gt06/server.ts';
import { createMqttIngest } from './mqtt-ingest.ts';
import { GatewaySettingsError, parseGatewaySettings } from './settings.ts';
import type { GatewaySettings } from './settings.ts';
import { startTeltonikaGateway } from './teltonika/server.ts';
import { startWialonGateway } from './wialon/server.ts';

let settings: GatewaySettings;
try {
  settings = parseGatewaySettings(process.env);
} catch (e) {
  if (e instanceof GatewaySettingsError) {
    console.error(e.message);
    process.exit(2);
  }
  throw e;
}

const logger = pino({ level: settings.LOG_LEVEL, name: 'mistohub-gateway' });
const registry = new Registry();
const byKey = new Map(settings.devices.map((d) => [`${d.protocol}/${d.imei}`, { deviceId: d.deviceId }]));
const lookupTracker: TrackerLookup = (protocol, imei) => byKey.get(`${protocol}/${imei}`) ?? null;

const client = mqtt.connect(settings.MQTT_URL, {
  username: settings.GATEWAY_USERNAME,
  password: settings.GATEWAY_PASSWORD,
  clientId: `mistohub-gateway-${settings.GATEWAY_USERNAME}`,
  // A persistent session keeps unacknowledged QoS 1 publishes across reconnects.
  clean: false,
  reconnectPeriod: 2_000,
});
client.on('connect', () => logger.info({ url: settings.MQTT_URL }, 'connected to the hub'));
client.on('error', (err) => logger.error({ err: err.message }, 'MQTT error'));
client.on('offline', () => logger.warn('hub unreachable; devices are not acknowledged until it is back'));

const ingest = createMqttIngest(client, { ackTimeoutMs: settings.GATEWAY_ACK_TIMEOUT_MS, logger });
const common = { host: settings.GATEWAY_HOST, ingest, lookupTracker, logger, registry };
const gateways: Gateway[] = [];
if (settings.GATEWAY_PROTOCOLS.includes('teltonika')) gateways.push(await startTeltonikaGateway({ ...common, port: settings.TELTONIKA_PORT }));
if (settings.GATEWAY_PROTOCOLS.includes('wialon-ips')) gateways.push(await startWialonGateway({ ...common, port: settings.WIALON_PORT }));
if (settings.GATEWAY_PROTOCOLS.includes('gt06')) gateways.push(await startGt06Gateway({ ...common, port: settings.GT06_PORT }));
logger.info({ devices: settings.devices.length, ports: gateways.map((g) => g.port) }, 'gateway started');

const metricsServer =
  settings.GATEWAY_METRICS_PORT === undefined
    ? null
    : createServer((req, res) => {
        if (req.url !== '/metrics') {
          res.writeHead(404).end();
          return;
        }
        registry.metrics().then(
          (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
          () => res.writeHead(500).end(),
        );
      }).listen(settings.GATEWAY_METRICS_PORT, settings.GATEWAY_HOST);

async function shutdown(signal: string): Promise<void> {
  logger.info({ signal }, 'stopping');
  await Promise.all(gateways.map((g) => g.close()));
  metricsServer?.close();
  await client.endAsync();
  process.exit(0);
}
process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));
