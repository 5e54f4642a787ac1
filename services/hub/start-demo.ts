/**
 * `npm start`: the hub plus simulators of a whole demo city, on embedded defaults.
 * The simulators connect like real devices: registered in the registry, authenticated over MQTT
 * (or over the tracker protocols) with their own credentials.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { demoCity } from '../../simulators/city/demo-city.ts';
import { DEMO_GTFS_DIR } from '../../simulators/city/demo-gtfs.ts';
import { setUpDemoLighting } from '../../simulators/city/lighting-demo.ts';
import { demoOpcuaCabinets, setUpDemoOpcua, startDemoOpcua, type DemoOpcua } from '../../simulators/city/opcua-demo.ts';
import { DEMO_WEATHER_STATION, demoMeterRegistration, startDemoEnergy } from '../../simulators/city/demo-energy.ts';
import { startCitySimulator } from '../../simulators/city/run-city.ts';
import { startTrackerSimulator } from '../../simulators/city/run-trackers.ts';
import { settingsOrExit } from '../config/settings.ts';
import { loadGtfsPath } from '../transit/gtfs/read.ts';

// The demo city's timetable (DEMO data, simulators/city/demo-gtfs/) unless GTFS_PATH names another feed;
// its OPC UA cabinets' server certificates trusted without an admin (OPCUA_AUTO_TRUST, audit-logged) unless set otherwise.
const settings = settingsOrExit({ GTFS_PATH: DEMO_GTFS_DIR, OPCUA_AUTO_TRUST: 'true', ...process.env });

const { startHub, readAdminToken } = await import('./hub.ts');
const hub = await startHub(settings);
const dataDir = resolve(settings.HUB_DATA_DIR);

// The demo devices' secrets, so a restart reconnects them; kept beside the registry, mode 600.
const credentialsFile = join(dataDir, 'demo-credentials.json');
const credentials = new Map<string, string>(existsSync(credentialsFile) ? Object.entries(JSON.parse(readFileSync(credentialsFile, 'utf8')) as Record<string, string>) : []);
// A mixed fleet, as in the city: most trackers on MQTT, some on Teltonika and Wialon IPS gateways.
const devices = demoCity({ trackerProtocols: { teltonika: 10, 'wialon-ips': 6 } });
for (const d of devices) {
  const existing = hub.devices.get(d.id);
  if (!existing) {
    const { secret } = await hub.devices.create(d, 'demo');
    if (secret) credentials.set(d.id, secret);
  } else if (existing.protocol === 'mqtt' && !credentials.has(d.id)) {
    const rotated = await hub.devices.update(d.id, { rotateSecret: true }, 'demo');
    if (rotated?.secret) credentials.set(d.id, rotated.secret);
  }
}
writeFileSync(credentialsFile, JSON.stringify(Object.fromEntries(credentials), null, 1), { mode: 0o600 });

// The vehicles run the blocks of the feed the hub runs on (the hub has checked it already).
const feed = settings.GTFS_PATH ? loadGtfsPath(settings.GTFS_PATH) : undefined;
const gtfs = feed?.ok ? { gtfs: feed.feed } : {};

const token = hub.generatedAdminToken ?? readAdminToken(dataDir);

const simulator = startCitySimulator({
  ...gtfs,
  mqttUrl: `mqtt://127.0.0.1:${hub.ports.mqtt}`,
  credentials,
  devices,
  logger: { info: (m) => console.log(m), warn: (m) => console.warn(m), error: (m) => console.error(m) },
});

const apiToken = settings.HUB_ADMIN_TOKEN ?? token;
const apiHost = settings.HTTP_HOST === '0.0.0.0' || settings.HTTP_HOST === '::' ? '127.0.0.1' : settings.HTTP_HOST;
const apiUrl = `http://${apiHost.includes(':') ? `[${apiHost}]` : apiHost}:${hub.ports.http}`;

const trackers = startTrackerSimulator({
  ...gtfs,
  host: '127.0.0.1',
  ports: { teltonika: hub.ports.teltonika, wialon: hub.ports.wialon },
  devices,
  warn: (m) => console.warn(m),
});

console.log(`
  mistohub demo city is running (DEMO data: ${devices.length} simulated devices)
    dashboards   http://localhost:${hub.ports.http}/
    API docs     http://localhost:${hub.ports.http}/docs
    MQTT         mqtt://localhost:${hub.ports.mqtt}
    admin token  ${hub.generatedAdminToken ? `${token}  (shown once; also in ${join(dataDir, 'admin-token')})` : `in ${join(dataDir, 'admin-token')}`}
`);

// Energy: meters with their resource and unit, the buildings, a weather station, and (first start) a year of history in the background.
for (const d of devices) {
  if (d.kind === 'energy-meter' && !hub.devices.get(d.id)?.resource) await hub.devices.update(d.id, demoMeterRegistration(d), 'demo');
}
if (!hub.devices.get(DEMO_WEATHER_STATION)) {
  const { secret } = await hub.devices.create({ id: DEMO_WEATHER_STATION, kind: 'weather-station', protocol: 'mqtt', name: 'Метеостанція (демо)', demo: true }, 'demo');
  if (secret) credentials.set(DEMO_WEATHER_STATION, secret);
} else if (!credentials.has(DEMO_WEATHER_STATION)) {
  const rotated = await hub.devices.update(DEMO_WEATHER_STATION, { rotateSecret: true }, 'demo');
  if (rotated?.secret) credentials.set(DEMO_WEATHER_STATION, rotated.secret);
}
writeFileSync(credentialsFile, JSON.stringify(Object.fromEntries(credentials), null, 1), { mode: 0o600 });
const energy = await startDemoEnergy({
  httpUrl: `http://127.0.0.1:${hub.ports.http}`,
  mqttUrl: `mqtt://127.0.0.1:${hub.ports.mqtt}`,
  token: apiToken!,
  dataDir,
  meters: devices.filter((d) => d.kind === 'energy-meter'),
  stationSecret: credentials.get(DEMO_WEATHER_STATION)!,
  log: (m) => console.log(m),
});

// Lighting: OPC UA cabinets (simulator servers, several cabinets each) registered beside the
// MQTT ones, then a group per district with a night schedule, all through the REST API (kept on
// restart); not awaited. Started once the energy set-up is done, so the OPC UA servers' start
// (a few seconds of CPU) does not hold up the MQTT devices' first connections.
let opcua: DemoOpcua | undefined;
void (async () => {
  if (!apiToken) throw new Error('no admin token to set up the groups with');
  let lightingDevices = devices;
  try {
    opcua = await startDemoOpcua({ dataDir, cabinets: demoOpcuaCabinets() });
    const r = await setUpDemoOpcua({ baseUrl: apiUrl, token: apiToken, devices: opcua.devices, models: opcua.models });
    console.log(`demo lighting: ${opcua.devices.length} OPC UA cabinets on ${opcua.servers.map((s) => s.endpointUrl).join(', ')}${r.registered.length ? ` (${r.registered.length} registered now)` : ''}`);
    lightingDevices = [...devices, ...opcua.devices];
  } catch (err) {
    console.warn(`demo lighting: OPC UA cabinets not started: ${(err as Error).message}`);
  }
  return setUpDemoLighting({ baseUrl: apiUrl, token: apiToken, devices: lightingDevices });
})().then(
  (r) => r.created.length > 0 && console.log(`demo lighting: groups ${r.created.join(', ')} created with the demo schedule`),
  (err: Error) => console.warn(`demo lighting: ${err.message}`),
);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    trackers.stop();
    void Promise.all([simulator.stop(), energy.stop()]).then(() => hub.close()).then(() => opcua?.stop()).then(() => process.exit(0));
  });
}
